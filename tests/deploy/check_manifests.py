#!/usr/bin/env python3
"""Checks deploy/kubernetes/*.yaml: parses every document and asserts the fields the deployment
depends on. Exit 0 if all hold; otherwise prints each failed check and exits 1."""
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
    check(ports.get("http") == 8000, "container port 8000")
    check(c["livenessProbe"]["httpGet"]["path"] == "/healthz", "liveness on /healthz")
    check(c["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness on /readyz")
    check(not any("secret" in str(e.get("value", "")).lower() and "/etc/" not in str(e.get("value"))
                  for e in c["env"]), "no secret value inline in env")

peers = node.get(("Service", "aia-node-peers"))
check(peers is not None and peers["spec"].get("clusterIP") == "None", "a headless peers Service")
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

for f in failed:
    print(f"missing or wrong: {f}")
sys.exit(1 if failed else 0)
