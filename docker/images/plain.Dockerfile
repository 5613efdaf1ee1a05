# tpa-barman-plain:<os>-<hash>: a plain host for a Barman server. cron is installed
# but not started; barman is NOT installed, only pre-downloaded with its dependencies
# (apt lists are kept) so the deploy's apt-get install runs offline. PG_MAJOR is the
# OS's PostgreSQL major, whose client package Barman uses.
ARG COMMON_IMAGE=tpa-barman-common:bookworm
FROM ${COMMON_IMAGE}
ARG PG_MAJOR=15
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends cron >/dev/null \
 && sed -i 's/^\(session[[:space:]]\{1,\}\)required\([[:space:]]\{1,\}pam_loginuid\.so\)/\1optional\2/' /etc/pam.d/cron \
 && apt-get clean \
 && apt-get install -y -qq --download-only barman barman-cli rsync "postgresql-client-${PG_MAJOR}" pigz python3-barman >/dev/null \
 && ls /var/cache/apt/archives/barman_*.deb /var/cache/apt/archives/python3-barman_*.deb >/dev/null
RUN mkdir -p /etc/tpa-barman-lab && echo barman >/etc/tpa-barman-lab/kind
COPY files/sshd-lab.conf /etc/ssh/sshd_config.d/00-tpa-barman-lab.conf
COPY files/lab-entrypoint /usr/local/sbin/lab-entrypoint
EXPOSE 22
ENTRYPOINT ["/usr/local/sbin/lab-entrypoint"]
CMD []
