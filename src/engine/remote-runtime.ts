// The POSIX sh library sent at the top of every apply script. Kept small and fixed:
// values reach it as quoted arguments or base64 heredocs, never spliced into code.

/**
 * tpab_write PATH OWNER GROUP MODE SHA256 < base64-content
 * Atomic write: temp file in the same directory (a name Barman never reads), owner and
 * mode before content, checksum, fsync, rename, fsync the directory. On any failure the
 * old file is untouched and the temp removed. A bind-mounted target (containers'
 * /etc/hosts) can't be renamed over: only there is it rewritten in place.
 */
export const REMOTE_RUNTIME = String.raw`
tpab_is_mountpoint() {
  awk -v p="$1" '$5 == p { found = 1 } END { exit found ? 0 : 1 }' /proc/self/mountinfo 2>/dev/null
}
tpab_write() {
  _p=$1; _o=$2; _g=$3; _m=$4; _sum=$5
  _d=$(dirname -- "$_p"); _b=$(basename -- "$_p")
  _t=$(mktemp "$_d/.tpab-tmp.$_b.XXXXXX") || return 1
  if ! { chown "$_o:$_g" "$_t" && chmod "$_m" "$_t" && base64 -d > "$_t"; }; then rm -f -- "$_t"; return 1; fi
  _got=$(sha256sum < "$_t" | cut -d' ' -f1)
  if [ "$_got" != "$_sum" ]; then rm -f -- "$_t"; echo "checksum mismatch writing $_p" >&2; return 1; fi
  sync -- "$_t" 2>/dev/null || true
  if tpab_is_mountpoint "$_p"; then
    cat -- "$_t" > "$_p" && chown "$_o:$_g" "$_p" && chmod "$_m" "$_p"; _rc=$?
    rm -f -- "$_t"; return $_rc
  fi
  if ! mv -f -- "$_t" "$_p"; then rm -f -- "$_t"; return 1; fi
  sync -- "$_d" 2>/dev/null || true
}
tpab_sha() { if [ -e "$1" ]; then sha256sum < "$1" | cut -d' ' -f1; else echo -; fi; }
tpab_attrs() { stat -c '%U %G %a' -- "$1"; }
`;

/** Frame markers; the nonce makes them impossible to forge from probed content. */
export function marker(nonce: string, kind: 'begin' | 'end', index: number): string {
  return `@@tpab:${nonce}:${kind}:${index}`;
}
