# A test minion (and, for the local fleet, a salt-master or a connected minion):
# systemd as PID 1, Python, gnupg for Salt's gpg renderer (pillar secrets), cron and
# openssh-client (as on a standard Debian server; public formulas assume both), and Salt
# installed from a wheelhouse built on the host (no network access to PyPI is needed
# inside the build). The salt-minion and salt-master units are installed, not
# enabled: the fleet enables what it needs. apt's package lists stay, as on a server:
# Salt's first pkg state still runs `apt-get update`, which then fetches only what
# changed since the image was built (seconds less per converge).
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
ENV DEBIAN_FRONTEND=noninteractive \
    container=docker \
    PYTHONWARNINGS=ignore::DeprecationWarning
COPY ca-bundle.crt /usr/local/share/ca-certificates/saltline-extra.crt
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      systemd systemd-sysv dbus ca-certificates python3 python3-venv python3-apt \
      procps iproute2 gnupg cron openssh-client \
 && update-ca-certificates \
 && apt-get clean \
 && systemctl mask getty.target console-getty.service systemd-firstboot.service \
      systemd-remount-fs.service sys-kernel-config.mount sys-kernel-debug.mount \
 && mkdir -p /etc/salt/minion.d /etc/salt/master.d /srv/salt /srv/pillar
COPY salt-minion.service salt-master.service /etc/systemd/system/
COPY wheelhouse /tmp/wheelhouse
RUN python3 -m venv --system-site-packages /opt/saltstack \
 && /opt/saltstack/bin/pip install --no-cache-dir --no-index \
      --find-links /tmp/wheelhouse -r /tmp/wheelhouse/requirements.txt \
 && for tool in salt salt-call salt-key salt-master salt-minion salt-run; do \
      ln -s /opt/saltstack/bin/$tool /usr/local/bin/$tool; done \
 && rm -rf /tmp/wheelhouse \
 && salt-call --version
STOPSIGNAL SIGRTMIN+3
CMD ["/lib/systemd/systemd"]
