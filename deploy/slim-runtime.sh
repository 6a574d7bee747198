#!/bin/sh
# Removes from a Debian-based root file system what sdmd's runtime never runs or reads (issue 19: the
# image <= 250 MB). Run as root, in the same RUN that installed the packages (a later layer's removal
# only hides files; it frees nothing). The Dockerfile's runtime stage runs it on python:3.11-slim after
# installing git and redis-server; scripts/local_images.sh runs it on its Debian root file system
# before flattening it into the local runtime base. (On python:3.11-slim, what that base image itself
# holds, apt or perl-base, is only hidden by the removals: they free space in the local base alone.)
#
# - perl (~50 MB with libperl and perl-modules) and perl-base (7 MB): git depends on perl only for its
#   commands written in Perl (send-email, svn, instaweb, archimport, cvs*); sdmd runs built-in C
#   commands only (init, add, status, diff, cat-file, read-tree, merge, fetch, push, ...) and https
#   remotes (git-remote-https, C); deploy/check-image.py runs them in the built image. perl-base is
#   Essential for Debian's maintainer scripts, which never run here once apt is gone (below); the few
#   Debian scripts left in Perl (c_rehash, pam-auth-update, deb-systemd-helper) are for package
#   maintenance. Removed with --force-depends (perl-base with --force-remove-essential too): the
#   packages that depend on them stay installed, their dependencies unmet.
# - git-man, and git's server-side and mail programs (daemon, http-backend, http-push, imap-send, shell,
#   scalar, the Perl scripts): each of the C ones is a 3.5 MB copy of libgit.
# - the package manager's tools the runtime never runs: apt with its own libraries (libapt-pkg,
#   libseccomp, libxxhash), gpgv and the archive keyring (apt's signature checks), debconf (answers
#   the questions of packages being configured, in Perl) and adduser (a Perl script). dpkg stays (its
#   database says what the image holds; the Dockerfile's runtime stage asks it), and so do groupadd
#   and useradd (passwd's C programs). The script runs in the layer that installed git and
#   redis-server, so apt has done its work; an image built FROM sdmd's installs no packages (build it
#   from the base sdmd's was built on instead).
# - e2fsprogs (mkfs, fsck, debugfs for ext2/3/4 file systems, with its libext2fs and libss): a
#   container's file systems are made and checked by its host.
# - redis-benchmark, and redis-check-aof's second copy of the redis binary (a hard link instead: the
#   binary does what the name it is started by says; redis-server is a link to redis-check-rdb).
# - parts of Python's standard library nothing in the image imports: lib2to3 and distutils (Debian's
#   python3-lib2to3 and python3-distutils), pydoc_data (help()'s topics; pydoc itself stays),
#   ensurepip, idlelib, tkinter and turtle (no Tk), the test package and the C test modules (_test*,
#   xxlimited*). unittest stays (freezegun imports unittest.mock).
# - the standard library's sources (9 MB): it ships as sourceless bytecode, like the virtualenv's
#   third-party packages (see the Dockerfile), a legacy .pyc beside each module compiled by this
#   Python, which imports it when no .py is there. Tracebacks through the standard library still name
#   the file and line, without the line's text. Only where the standard library comes with its
#   bytecode (Debian's python3): python:3.11-slim ships it without any .pyc, and its .py files are in
#   a layer below this one, so removing them would free nothing while the bytecode added 10 MB.
#   site-packages and dist-packages are left alone.
# - glibc's character set converters (gconv, 8 MB) but the Unicode ones and Latin-1/-15/CP1252: only
#   iconv uses them (Python has its own codecs; UTF-8 and ASCII are built into glibc), and in this
#   image only git calls iconv, to re-encode a commit message written in a legacy encoding (the
#   i18n.commitEncoding of its author); for any other encoding it shows the message as it is stored.
# - git-http-fetch (2 MB): the dumb-HTTP walker command, run by fetch only for packfile URIs, which a
#   client asks for only when configured to (fetch.uriProtocols); git-remote-https has its own walker.
# - the "right/" time zones (leap seconds counted: for TZ=right/...), beside the usual ones.
# - docs (copyright files aside), man pages, info, translations (sdmd and its logs are in English), apt's lists and caches.
set -eu

# dpkg --purge, its warnings about the dependencies it breaks on purpose shown only if it fails.
purge() { out=$(dpkg --purge "$@" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }; }
installed() { dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null | awk '/^ii/ {print $2}'; }
# The installed packages that depend (Depends or Pre-Depends, any alternative) on package $1.
dependents() {
  dpkg-query -W -f '${db:Status-Abbrev};${Package};${Depends}, ${Pre-Depends}\n' 2>/dev/null | awk -F';' -v pkg="$1" '
    $1 ~ /^ii/ { n = split($3, dep, /[,|]/)
                 for (i = 1; i <= n; i++) { d = dep[i]; sub(/^ +/, "", d); sub(/[ :(].*/, "", d)
                                            if (d == pkg) { print $2; break } } }'
}

# shellcheck disable=SC2046  # one word per package name
perl_pkgs=$(installed perl 'perl-modules-*' 'libperl5*' liberror-perl git-man)
if [ -n "$perl_pkgs" ]; then
  # shellcheck disable=SC2086
  purge --force-depends $perl_pkgs
fi

# apt, gpgv, debconf and adduser go whatever depends on them; apt's libraries and keyring only when
# nothing else installed needs them. Their maintainer scripts run before perl-base goes (apt's calls
# deb-systemd-helper, in Perl).
tools=$(installed apt apt-utils gpgv debconf adduser e2fsprogs)
for lib in libapt-pkg6.0 libseccomp2 libxxhash0 debian-archive-keyring libext2fs2 libss2 logsave; do
  [ -n "$(installed "$lib")" ] || continue
  others=$(dependents "$lib" | grep -vxF -e apt -e apt-utils -e gpgv -e libapt-pkg6.0 -e e2fsprogs -e libext2fs2 \
           || true)
  [ -n "$others" ] || tools="$tools $lib"
done
if [ -n "$tools" ]; then
  # shellcheck disable=SC2086
  purge --force-depends --force-remove-essential $tools
fi
# python3-distutils and python3-lib2to3: nothing else depends on them once python3-venv is gone.
# shellcheck disable=SC2046
unused_python=$(installed python3-distutils python3-lib2to3)
if [ -n "$unused_python" ]; then
  # shellcheck disable=SC2086
  purge --force-depends $unused_python
fi
if [ -n "$(installed perl-base)" ]; then
  purge --force-depends --force-remove-essential perl-base
fi
rm -rf /etc/apt /var/lib/apt /var/cache/apt /var/cache/debconf /usr/share/perl5/Debian /usr/share/perl5/Debconf

if [ -x /usr/bin/redis-check-rdb ]; then
  rm -f /usr/bin/redis-benchmark
  if cmp -s /usr/bin/redis-check-rdb /usr/bin/redis-check-aof; then
    ln -f /usr/bin/redis-check-rdb /usr/bin/redis-check-aof
  fi
fi

# The standard library of the Python on PATH: Debian's /usr/lib/python3.X, python:3.11-slim's /usr/local/lib/python3.X.
if command -v python3 >/dev/null 2>&1; then
  stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
  rm -rf "$stdlib/lib2to3" "$stdlib/distutils" "$stdlib/pydoc_data" "$stdlib/ensurepip" "$stdlib/idlelib" \
         "$stdlib/tkinter" "$stdlib/turtledemo" "$stdlib/turtle.py" "$stdlib/test" "$stdlib/__phello__" \
         "$stdlib"/__pycache__/turtle.* "$stdlib"/__pycache__/__phello__.*
  rm -f "$stdlib"/lib-dynload/_test*.so "$stdlib"/lib-dynload/_ctypes_test*.so "$stdlib"/lib-dynload/_xxtestfuzz*.so \
        "$stdlib"/lib-dynload/xxlimited*.so
  if [ -d "$stdlib/__pycache__" ]; then
    # -x: compileall matches it against each file's full path
    python3 -m compileall -b -q -j 0 -x '/(site|dist)-packages/' "$stdlib" >/dev/null
    find "$stdlib" \( -name site-packages -o -name dist-packages \) -prune \
      -o -name __pycache__ -type d -prune -exec rm -rf {} + -o -name '*.py' -exec rm -f {} +
  fi
fi

for gconv in /usr/lib/*/gconv; do
  [ -d "$gconv" ] || continue
  find "$gconv" -maxdepth 1 -name '*.so' ! -name 'UTF-*' ! -name UNICODE.so ! -name ISO8859-1.so \
    ! -name ISO8859-15.so ! -name CP1252.so -delete
done
rm -rf /usr/share/zoneinfo/right

if [ -d /usr/lib/git-core ]; then
  cd /usr/lib/git-core
  rm -f git-daemon git-http-backend git-http-push git-http-fetch git-imap-send git-shell scalar
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
