#!/usr/bin/env node
// Run after any dependency change: node .ci/complete-lock.mjs package-lock.json
// Adds lock entries for optional platform packages the registry here does not serve,
// so `npm ci` accepts the lock. They carry os/cpu, so no platform here installs them.
import { readFileSync, writeFileSync } from 'node:fs';
const file = process.argv[2];
const lock = JSON.parse(readFileSync(file, 'utf8'));
const pk = lock.packages;
const osOf = (n) => ['android','darwin','freebsd','linux','openbsd','sunos','win32','aix','openharmony','netbsd','cygwin'].find((o) => n.includes(o) || (o==='win32' && /win32|windows/.test(n)));
const cpuOf = (n) => ['arm64','x64','ia32','arm','loong64','mips64el','ppc64','riscv64','s390x','wasm32','mipsel'].find((c) => new RegExp(`[-_]${c}(\\b|-|_|$)`).test(n)) ?? (n.includes('eabi')?'arm':undefined);
let added = 0;
for (const [path, meta] of Object.entries(pk)) {
  for (const [dep, ver] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    const nested = `${path}/node_modules/${dep}`;
    if (pk[key] || pk[nested]) continue;
    const entry = { version: ver, optional: true };
    const os = osOf(dep.split('/').pop()); const cpu = cpuOf(dep.split('/').pop());
    if (os) entry.os = [os]; if (cpu) entry.cpu = [cpu];
    pk[key] = entry; added++;
  }
}
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`added ${added} entries`);
