# tpa-barman-common:bookworm: Debian 12 + openssh-server + sudo + the admin user.
# Shared by the postgres and plain images. BASE_IMAGE is tpa-barman-base:bookworm
# (debootstrap minbase + docker import) or debian:bookworm-slim.
ARG BASE_IMAGE=tpa-barman-base:bookworm
FROM ${BASE_IMAGE}
ENV LANG=C.UTF-8
COPY files/setup-common.sh /tmp/setup-common.sh
RUN sh /tmp/setup-common.sh && rm -f /tmp/setup-common.sh
