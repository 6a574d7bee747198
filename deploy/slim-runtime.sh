#!/bin/sh
# Removes from a Debian-based root file system what sdmd's runtime never runs or reads (issue 19: the
# image <= 250 MB). Run as root, in the same RUN that installed the packages (a later layer's removal
# only hides files; it frees nothing). The Dockerfile's runtime stage runs it on python:3.11-slim after
# installing git and redis-server; scripts/local_images.sh runs it on its Debian root file system
# before flattening it into the local runtime base.
#
# - perl (~50 MB with libperl and perl-modules): git depends on it only for its commands written in
#   Perl (send-email, svn, instaweb, archimport, cvs*); sdmd runs built-in C commands only (init, add,
#   status, diff, cat-file, read-tree, merge, fetch, push, ...) and https remotes (git-remote-https,
#   C). perl-base, which Debian needs, stays. Removed with --force-depends: dpkg records git's
#   dependency as unmet, so an `apt-get install` in an image built FROM this one asks for
#   `apt-get -f install` (which brings perl back).
# - git-man, and git's server-side and mail programs (daemon, http-backend, http-push, imap-send, shell,
#   scalar, the Perl scripts): each of the C ones is a 3.5 MB copy of libgit.
# - docs (copyright files aside), man pages, info, translations (sdmd and its logs are in English), apt's lists and caches.
set -eu

installed() { dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null | awk '/^ii/ {print $2}'; }

# shellcheck disable=SC2046  # one word per package name
perl_pkgs=$(installed perl 'perl-modules-*' 'libperl5*' liberror-perl git-man)
if [ -n "$perl_pkgs" ]; then
  # shellcheck disable=SC2086
  dpkg --purge --force-depends $perl_pkgs >/dev/null
fi

if [ -d /usr/lib/git-core ]; then
  cd /usr/lib/git-core
  rm -f git-daemon git-http-backend git-http-push git-imap-send git-shell scalar
  for f in *; do
    [ -f "$f" ] && [ ! -L "$f" ] && head -c 20 "$f" | grep -q '^#!/usr/bin/perl' && rm -f "$f"
  done
  # /usr/bin/git and git-core/git are two copies of the same 3.7 MB binary in Debian's package.
  if [ -f /usr/bin/git ] && cmp -s /usr/bin/git git; then ln -f /usr/bin/git git; fi
  rm -f /usr/bin/git-shell /usr/bin/scalar
  rm -rf /usr/share/gitweb /usr/share/perl5/Git /usr/share/perl5/Git.pm
  cd /
fi

# (each package's copyright file stays)
find /usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete 2>/dev/null || true
find /usr/share/doc -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf /usr/share/man/* /usr/share/info/* /usr/share/lintian /usr/share/linda \
       /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb /var/cache/debconf/*-old \
       /var/log/apt /var/log/*.log /root/.cache /tmp/*
find /usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
# Keep the next `apt-get install` from bringing them back (what Debian's own slim images do).
mkdir -p /etc/dpkg/dpkg.cfg.d
cat >/etc/dpkg/dpkg.cfg.d/sdmd-slim <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
EOF
