#!/bin/sh
# Runs once at image build time (tpa-barman-common). Idempotent and safe on a
# debootstrap'ed base and on debian:<release>-slim, for every Debian release the lab
# builds (bookworm, trixie): the release is read from /etc/os-release.
set -eu
export DEBIAN_FRONTEND=noninteractive
codename="$(. /etc/os-release && echo "$VERSION_CODENAME")"
[ -n "$codename" ] || { echo "setup-common: no VERSION_CODENAME in /etc/os-release" >&2; exit 1; }

# --- apt: the release's full suites, keep downloaded .debs, never start daemons ---
if [ ! -e /etc/apt/sources.list.d/debian.sources ]; then
    # debootstrap only writes "<codename> main"
    grep -q "$codename-updates" /etc/apt/sources.list 2>/dev/null ||
        echo "deb http://deb.debian.org/debian $codename-updates main" >>/etc/apt/sources.list
    grep -q "$codename-security" /etc/apt/sources.list 2>/dev/null ||
        echo "deb http://deb.debian.org/debian-security $codename-security main" >>/etc/apt/sources.list
fi
# debian:*-slim deletes .debs after every install; we want them kept.
rm -f /etc/apt/apt.conf.d/docker-clean
printf '#!/bin/sh\n# tpa-barman lab: no daemon starts from maintainer scripts\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 0755 /usr/sbin/policy-rc.d

apt-get update -qq
apt-get install -y -qq --no-install-recommends openssh-server sudo procps >/dev/null
apt-get clean

# --- sshd: host keys are generated at container start (ed25519 only) ---
rm -f /etc/ssh/ssh_host_*
sed -i 's/^\(session[[:space:]]\{1,\}\)required\([[:space:]]\{1,\}pam_loginuid\.so\)/\1optional\2/' /etc/pam.d/sshd
[ ! -e /etc/pam.d/cron ] ||
    sed -i 's/^\(session[[:space:]]\{1,\}\)required\([[:space:]]\{1,\}pam_loginuid\.so\)/\1optional\2/' /etc/pam.d/cron

# --- users: root (key only) and admin (key only, passwordless sudo) ---
id admin >/dev/null 2>&1 || useradd --create-home --shell /bin/bash admin
usermod -p '*' admin      # no password, but not "locked" (! prefix)
echo 'admin ALL=(ALL) NOPASSWD:ALL' >/etc/sudoers.d/admin
chmod 0440 /etc/sudoers.d/admin
for home in /root /home/admin; do
    cat >"$home/.bashrc" <<'RC'
# tpa-barman lab: nothing slow here; non-interactive shells return at once.
case $- in *i*) ;; *) return ;; esac
PS1='\u@\h:\w\$ '
RC
    install -d -m 0700 "$home/.ssh"
done
chown -R admin:admin /home/admin
