# tpa-barman-common:<os>-<hash>: Debian (bookworm or trixie) + openssh-server + sudo +
# the admin user. Shared by the postgres and plain images of one OS. BASE_IMAGE is
# tpa-barman-base:<os> (debootstrap minbase + docker import) or debian:<os>-slim.
ARG BASE_IMAGE=tpa-barman-base:bookworm
FROM ${BASE_IMAGE}
ENV LANG=C.UTF-8
COPY files/setup-common.sh /tmp/setup-common.sh
RUN sh /tmp/setup-common.sh && rm -f /tmp/setup-common.sh
