# tpa-barman-bench-plain:<os>-<hash> (benchmarks only: bench/ansible-vs-ours.ts): a Barman
# host with everything either tool would install already installed, so a "first
# deploy" measures configuration, not downloads. On top of tpa-barman-plain:<os>-<hash>:
# - barman, barman-cli, rsync, postgresql-client-<PG_MAJOR> and pigz (from the .debs
#   pre-downloaded there; Debian's barman postinst creates the barman user, its home
#   and /var/log/barman, as on any host where the package was installed beforehand);
# - python3, python3-apt and python3-psycopg2 for Ansible's modules;
# - sshd at LogLevel VERBOSE (connections and session starts logged).
ARG PLAIN_IMAGE=tpa-barman-plain:bookworm
FROM ${PLAIN_IMAGE}
ARG PG_MAJOR=15
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get install -y -qq --no-install-recommends barman barman-cli rsync "postgresql-client-${PG_MAJOR}" pigz python3 python3-psycopg2 python3-apt >/dev/null \
 && apt-get clean \
 && printf '# tpa-barman bench: log connections and session starts\nLogLevel VERBOSE\n' >/etc/ssh/sshd_config.d/01-tpa-barman-bench.conf \
 && dpkg-query -W barman barman-cli rsync "postgresql-client-${PG_MAJOR}" pigz python3 python3-psycopg2 python3-apt >/dev/null
