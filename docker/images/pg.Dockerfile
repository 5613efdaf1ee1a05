# tpa-barman-pg:15: a PostgreSQL host. PostgreSQL 15 from Debian, started at
# container start; barman-cli and rsync are only pre-downloaded (not installed)
# into /var/cache/apt/archives so the deploy's apt-get install runs offline.
ARG COMMON_IMAGE=tpa-barman-common:bookworm
FROM ${COMMON_IMAGE}
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null \
 && apt-get clean \
 && apt-get install -y -qq --download-only barman-cli rsync >/dev/null \
 && ls /var/cache/apt/archives/barman-cli_*.deb /var/cache/apt/archives/rsync_*.deb >/dev/null
RUN mkdir -p /etc/tpa-barman-lab && echo postgres >/etc/tpa-barman-lab/kind
COPY files/sshd-lab.conf /etc/ssh/sshd_config.d/00-tpa-barman-lab.conf
COPY files/lab-entrypoint /usr/local/sbin/lab-entrypoint
EXPOSE 22 5432
ENTRYPOINT ["/usr/local/sbin/lab-entrypoint"]
CMD []
