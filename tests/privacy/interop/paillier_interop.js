// The independent side of tests/privacy/paillier_interop_test.cpp: Paillier operations done by
// the npm package paillier-bigint on keys and numbers that privacy/paillier wrote, and back.
//
//   node paillier_interop.js encrypt  <public.json>  <plaintexts.txt>   -> a ciphertext per line
//   node paillier_interop.js decrypt  <private.json> <ciphertexts.txt>  -> a plaintext per line
//   node paillier_interop.js add      <public.json>  <ciphertexts.txt>  -> E(sum), one line
//   node paillier_interop.js multiply <public.json>  <ciphertexts.txt> <k> -> E(k m) per line
//   node paillier_interop.js keygen   <bits>                            -> a private key (JSON)
//
// Keys are the JSON of privacy/paillier ({"n","g"} and {"n","g","lambda","mu","p","q"}, numbers
// as 0x-hex or decimal strings); numbers in files are one per line, as BigInt() reads them.
// Plaintexts may be negative and are reduced mod n; decrypted plaintexts are residues in [0, n)
// in decimal. Output goes to stdout only; any failure prints to stderr and exits 1.
import { readFileSync } from 'node:fs'
import { PrivateKey, PublicKey, generateRandomKeys } from 'paillier-bigint'

const hex = (x) => '0x' + x.toString(16)

function readJson (file) {
  return JSON.parse(readFileSync(file, 'utf8'))
}

function readNumbers (file) {
  return readFileSync(file, 'utf8').split('\n').map((s) => s.trim()).filter((s) => s !== '')
    .map((s) => s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s))
}

function publicKeyOf (o) {
  return new PublicKey(BigInt(o.n), BigInt(o.g))
}

function privateKeyOf (o) {
  return new PrivateKey(BigInt(o.lambda), BigInt(o.mu), publicKeyOf(o), BigInt(o.p), BigInt(o.q))
}

async function main (argv) {
  const [op, ...args] = argv
  const out = []
  if (op === 'encrypt') {
    const pk = publicKeyOf(readJson(args[0]))
    for (const m of readNumbers(args[1])) {
      out.push(hex(pk.encrypt(((m % pk.n) + pk.n) % pk.n)))
    }
  } else if (op === 'decrypt') {
    const sk = privateKeyOf(readJson(args[0]))
    for (const c of readNumbers(args[1])) {
      out.push(sk.decrypt(c).toString())
    }
  } else if (op === 'add') {
    const pk = publicKeyOf(readJson(args[0]))
    out.push(hex(pk.addition(...readNumbers(args[1]))))
  } else if (op === 'multiply') {
    const pk = publicKeyOf(readJson(args[0]))
    const k = BigInt(args[2])
    for (const c of readNumbers(args[1])) {
      out.push(hex(pk.multiply(c, ((k % pk.n) + pk.n) % pk.n)))
    }
  } else if (op === 'keygen') {
    // The simple variant: g = n + 1, lambda = (p-1)(q-1), mu = lambda^-1 mod n.
    const { publicKey, privateKey } = await generateRandomKeys(Number(args[0]), true)
    out.push(JSON.stringify({
      n: hex(publicKey.n),
      g: hex(publicKey.g),
      lambda: hex(privateKey.lambda),
      mu: hex(privateKey.mu),
      p: hex(privateKey._p),
      q: hex(privateKey._q)
    }))
  } else {
    throw new Error(`unknown operation '${op}'`)
  }
  process.stdout.write(out.join('\n') + '\n')
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`paillier_interop: ${e.message}\n`)
  process.exit(1)
})
