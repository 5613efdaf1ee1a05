# tpa-barman-bench-pg:<os>-<hash> (benchmarks only: bench/ansible-vs-ours.ts): a PostgreSQL host
# with everything either tool would install already installed, so a "first deploy"
# measures configuration, not downloads. On top of tpa-barman-pg:<os>-<hash>:
# - barman-cli and rsync (from the .debs pre-downloaded there);
# - python3, python3-apt and python3-psycopg2: Ansible's modules (apt, and
#   community.postgresql) need them; tpa-barman does not;
# - sshd at LogLevel VERBOSE, so that every connection and session start is logged
#   (connections and exec channels per host are counted from `docker logs`);
# - /etc/tpa-barman-lab/keep-build-cluster, so a new container (Debian layout) starts
#   the cluster initdb'd at build time instead of re-creating it (+1.2 s CPU per host). All
#   bench hosts then share one system identifier, which no benchmark step looks at;
#   it makes the many lab re-creations of the first-deploy runs cheaper.
ARG PG_IMAGE=tpa-barman-pg:15
FROM ${PG_IMAGE}
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get install -y -qq --no-install-recommends barman-cli rsync python3 python3-psycopg2 python3-apt >/dev/null \
 && apt-get clean \
 && printf '# tpa-barman bench: log connections and session starts\nLogLevel VERBOSE\n' >/etc/ssh/sshd_config.d/01-tpa-barman-bench.conf \
 && touch /etc/tpa-barman-lab/keep-build-cluster \
 && dpkg-query -W barman-cli rsync python3 python3-psycopg2 python3-apt >/dev/null
