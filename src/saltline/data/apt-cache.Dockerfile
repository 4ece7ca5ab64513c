# The package cache every test run on this engine shares: apt-cacher-ng, a caching
# proxy for apt. Test minions send their http:// package downloads through it; it
# fetches index files from the mirror again when they changed, so what a minion
# installs is what it would install without it, only fetched once.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends apt-cacher-ng \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /run/apt-cacher-ng \
 && chown apt-cacher-ng: /run/apt-cacher-ng /var/cache/apt-cacher-ng /var/log/apt-cacher-ng
USER apt-cacher-ng
EXPOSE 3142
CMD ["/usr/sbin/apt-cacher-ng", "-c", "/etc/apt-cacher-ng", "ForeGround=1"]
