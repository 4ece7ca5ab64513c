# A test minion: systemd as PID 1, Python, and Salt installed from a wheelhouse
# built on the host (no network access to PyPI is needed inside the build).
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
ENV DEBIAN_FRONTEND=noninteractive \
    container=docker \
    PYTHONWARNINGS=ignore::DeprecationWarning
COPY ca-bundle.crt /usr/local/share/ca-certificates/saltline-extra.crt
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      systemd systemd-sysv dbus ca-certificates python3 python3-venv python3-apt \
      procps iproute2 \
 && update-ca-certificates \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && systemctl mask getty.target console-getty.service systemd-firstboot.service \
      systemd-remount-fs.service sys-kernel-config.mount sys-kernel-debug.mount \
 && mkdir -p /etc/salt/minion.d /srv/salt /srv/pillar
COPY wheelhouse /tmp/wheelhouse
RUN python3 -m venv --system-site-packages /opt/saltstack \
 && /opt/saltstack/bin/pip install --no-cache-dir --no-index \
      --find-links /tmp/wheelhouse -r /tmp/wheelhouse/requirements.txt \
 && ln -s /opt/saltstack/bin/salt-call /usr/local/bin/salt-call \
 && rm -rf /tmp/wheelhouse \
 && salt-call --version
STOPSIGNAL SIGRTMIN+3
CMD ["/lib/systemd/systemd"]
