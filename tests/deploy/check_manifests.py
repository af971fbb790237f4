#!/usr/bin/env python3
"""Checks deploy/kubernetes/*.yaml: parses every document and asserts the fields the deployment
depends on, and that deploy/Dockerfile exposes every port the pod declares. Usage:
check_manifests.py REPO_ROOT. Exit 0 if all hold; otherwise prints each failed check and exits 1."""
import re
import sys
import yaml

root = sys.argv[1]
failed = []


def check(cond, what):
    if not cond:
        failed.append(what)


def load(name):
    with open(f"{root}/deploy/kubernetes/{name}") as f:
        return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(f) if d}


node = load("aia-node.yaml")
redis = load("redis.yaml")
CLUSTER_PORT = 4370
container_ports = {}

sts = node.get(("StatefulSet", "aia-ml-personalization"))
check(sts is not None, "a StatefulSet aia-ml-personalization")
if sts:
    spec = sts["spec"]
    check(spec["replicas"] == 3, "3 replicas")
    check(spec["serviceName"] == "aia-node-peers", "the headless service as serviceName")
    pod = spec["template"]["spec"]
    check(pod["securityContext"].get("runAsNonRoot") is True, "runAsNonRoot")
    c = pod["containers"][0]
    res = c["resources"]
    check(res["requests"] == {"memory": "512Mi", "cpu": "250m"}, "the spec's requests")
    check(res["limits"] == {"memory": "1Gi", "cpu": "500m"}, "the spec's limits")
    env = {e["name"]: e.get("value") for e in c["env"]}
    check(env.get("REDIS_URL", "").startswith("redis://"), "REDIS_URL")
    check(env.get("PRIVACY_LEVEL") in ("STANDARD", "HIGH", "MAXIMUM"), "PRIVACY_LEVEL")
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    container_ports = ports
    check(ports.get("http") == 8000, "container port 8000")
    check(ports.get("cluster") == CLUSTER_PORT, f"container port cluster {CLUSTER_PORT}")
    check(c["livenessProbe"]["httpGet"]["path"] == "/healthz", "liveness on /healthz")
    check(c["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness on /readyz")
    check(not any("secret" in str(e.get("value", "")).lower()
                  and not str(e.get("value")).startswith(("/etc/", "/run/"))
                  for e in c["env"]), "no secret value inline in env")

    # The cluster: each pod on its own DNS name under the headless service, seeding from pod 0.
    names = [e["name"] for e in c["env"]]
    pod_name = next((e for e in c["env"] if e["name"] == "POD_NAME"), None)
    check(pod_name is not None and pod_name.get("valueFrom", {}).get("fieldRef", {})
          .get("fieldPath") == "metadata.name", "POD_NAME from the downward API (metadata.name)")
    # Kubernetes expands $(VAR) only for variables defined earlier in the list.
    for e in c["env"]:
        for ref in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", str(e.get("value", ""))):
            check(ref in names[:names.index(e["name"])], f"{e['name']}: $({ref}) defined before it")
    check(env.get("AIA_CLUSTER_PORT") == str(CLUSTER_PORT), f"AIA_CLUSTER_PORT {CLUSTER_PORT}")
    ns = sts["metadata"]["namespace"]
    pod_domain = f".{spec['serviceName']}.{ns}.svc.cluster.local"
    check(env.get("AIA_CLUSTER_HOST") == "$(POD_NAME)" + pod_domain,
          f"AIA_CLUSTER_HOST the pod's own DNS name $(POD_NAME){pod_domain}")
    check(env.get("AIA_CLUSTER_NODE_NAME") == "$(POD_NAME)", "AIA_CLUSTER_NODE_NAME $(POD_NAME)")
    # StatefulSet pods are <statefulset name>-<ordinal>.
    pod0 = f"{sts['metadata']['name']}-0{pod_domain}:{CLUSTER_PORT}"
    seeds = [s.strip() for s in (env.get("AIA_CLUSTER_SEEDS") or "").split(",") if s.strip()]
    check(pod0 in seeds, f"AIA_CLUSTER_SEEDS names pod 0 ({pod0})")
    pods = {f"{sts['metadata']['name']}-{i}{pod_domain}:{CLUSTER_PORT}"
            for i in range(spec["replicas"])}
    check(seeds and all(s in pods for s in seeds), "AIA_CLUSTER_SEEDS names only pods of the set")

    # The shared key ring and HS256 secret come from a Secret volume, the same on every pod. A
    # Secret volume is group-readable under fsGroup and the node refuses such key files, so an
    # init container copies them (mode 0600) into a memory volume the node reads them from.
    secret_volumes = {v["name"] for v in pod.get("volumes", []) if "secret" in v}
    memory_volumes = {v["name"] for v in pod.get("volumes", [])
                      if v.get("emptyDir", {}).get("medium") == "Memory"}
    mounts = lambda ct, names: [m["mountPath"].rstrip("/") + "/"
                                for m in ct.get("volumeMounts", []) if m["name"] in names]
    inits = pod.get("initContainers", [])
    copier = next((ic for ic in inits if mounts(ic, secret_volumes) and mounts(ic, memory_volumes)),
                  None)
    check(copier is not None, "an init container copying the Secret into a memory volume")
    if copier:
        check("0600" in " ".join(copier.get("command", []) + copier.get("args", [])),
              "the init container makes the key files 0600")
    for key in ("AIA_STORE_KEYRING_FILE", "AIA_AUTH_HS256_SECRET_FILE"):
        path = env.get(key) or ""
        check(any(path.startswith(m) for m in mounts(c, memory_volumes)),
              f"{key} a file of the memory volume the init container fills")

peers = node.get(("Service", "aia-node-peers"))
check(peers is not None and peers["spec"].get("clusterIP") == "None", "a headless peers Service")
if peers:
    check(peers["spec"].get("publishNotReadyAddresses") is True,
          "publishNotReadyAddresses on the peers Service (peers resolve before readiness)")
    peer_ports = {p["name"]: p["port"] for p in peers["spec"]["ports"]}
    check(peer_ports.get("cluster") == CLUSTER_PORT,
          f"the peers Service's cluster port {CLUSTER_PORT}")
pdb = node.get(("PodDisruptionBudget", "aia-ml-personalization"))
check(pdb is not None and pdb["spec"].get("minAvailable", 0) >= 2, "a PodDisruptionBudget")

dep = redis.get(("Deployment", "redis"))
check(dep is not None, "a Redis Deployment")
if dep:
    rc = dep["spec"]["template"]["spec"]["containers"][0]
    args = rc.get("args", [])
    check("--appendonly" in args and args[args.index("--appendonly") + 1] == "yes", "Redis AOF on")
    vols = dep["spec"]["template"]["spec"]["volumes"]
    check(any("persistentVolumeClaim" in v for v in vols), "Redis data on a persistent volume")
check(("Service", "redis-service") in redis, "a redis-service Service (the REDIS_URL host)")
check(("PersistentVolumeClaim", "redis-data") in redis, "the Redis PersistentVolumeClaim")

# The image exposes every port the pod declares (the cluster port too).
with open(f"{root}/deploy/Dockerfile") as f:
    dockerfile = f.read()
exposed = {int(p.split("/")[0]) for line in re.findall(r"^EXPOSE\s+(.*)$", dockerfile, re.M)
           for p in line.split()}
for name, port in sorted({**container_ports, "cluster": CLUSTER_PORT}.items()):
    check(port in exposed, f"EXPOSE {port} ({name}) in deploy/Dockerfile")

for f in failed:
    print(f"missing or wrong: {f}")
sys.exit(1 if failed else 0)
