# tpa-barman-pg:<os>-<hash>: a PostgreSQL host. The OS's own PostgreSQL (15 on
# bookworm, 17 on trixie: PG_MAJOR), started at container start in the layout asked
# for (LAB_LAYOUT=debian|tpa, see files/lab-postgres). cron is installed, not started.
# Nothing of Barman is installed, but everything the deploy may install here is
# pre-downloaded into /var/cache/apt/archives (apt lists kept), so its apt-get install
# runs offline: barman-cli and rsync for a backed-up host, and barman, python3-barman,
# the client and pigz for a host that also carries the barman role (TPA's M1 puts
# barman and a witness on one host).
ARG COMMON_IMAGE=tpa-barman-common:bookworm
FROM ${COMMON_IMAGE}
ARG PG_MAJOR=15
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends "postgresql-${PG_MAJOR}" cron >/dev/null \
 && sed -i 's/^\(session[[:space:]]\{1,\}\)required\([[:space:]]\{1,\}pam_loginuid\.so\)/\1optional\2/' /etc/pam.d/cron \
 && apt-get clean \
 && apt-get install -y -qq --download-only barman barman-cli rsync "postgresql-client-${PG_MAJOR}" pigz python3-barman >/dev/null \
 && ls /var/cache/apt/archives/barman-cli_*.deb /var/cache/apt/archives/rsync_*.deb \
       /var/cache/apt/archives/barman_*.deb /var/cache/apt/archives/python3-barman_*.deb >/dev/null \
 && test -x "/usr/lib/postgresql/${PG_MAJOR}/bin/postgres"
ENV LAB_PG_MAJOR=${PG_MAJOR}
RUN mkdir -p /etc/tpa-barman-lab && echo postgres >/etc/tpa-barman-lab/kind
COPY files/sshd-lab.conf /etc/ssh/sshd_config.d/00-tpa-barman-lab.conf
COPY files/lab-postgres /usr/local/sbin/lab-postgres
COPY files/postgres.init /usr/local/share/tpa-barman-lab/postgres.init
COPY files/postgres.service /usr/local/share/tpa-barman-lab/postgres.service
COPY files/lab-entrypoint /usr/local/sbin/lab-entrypoint
EXPOSE 22 5432
ENTRYPOINT ["/usr/local/sbin/lab-entrypoint"]
CMD []
