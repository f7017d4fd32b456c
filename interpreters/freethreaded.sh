#!/usr/bin/env bash
# freethreaded.sh - obtain a free-threaded (no-GIL) CPython and cache it outside any
# checkout, at ${FT_CACHE:-$HOME/.cache/concurrency-demo}/free-threaded (`make freethreaded`).
#
# Route 1: `uv python install 3.14t` (or 3.13t): the ordinary route where uv can download
#          interpreters (needs GitHub; fails fast where it is not reachable).
# Route 2: the upstream tarball from Debian's python3.13 *source* package (trixie/sid),
#          fetched with a PRIVATE apt configuration (the system's apt sources are never
#          touched), built with ./configure --disable-gil and installed atomically.
#
# Idempotent: a cached interpreter that carries the stamp file and really runs without
# the GIL is reused at once. Safe to interrupt: nothing passes the check until the very
# last step (the stamp) of a successful install.
#
# Environment knobs (all optional):
#   FT_CACHE          cache root                (default ~/.cache/concurrency-demo)
#   FT_JOBS           make -j                    (default: nproc)
#   FT_TRY_UV         0 skips route 1            (default 1)
#   FT_UV_VERSIONS    versions asked of uv       (default "3.14t 3.13t")
#   FT_UV_TIMEOUT     seconds per uv attempt     (default 45)
#   FT_DEBIAN_MIRROR  Debian mirror URI          (default: the one in /etc/apt, else deb.debian.org)
#   FT_DEBIAN_SUITES  suites searched for deb-src (default "sid trixie")
#   FT_KEEP_BUILD     1 keeps the build tree     (default 0)
#   FT_FORCE          1 rebuilds even if cached  (default 0)
set -euo pipefail

FT_CACHE="${FT_CACHE:-$HOME/.cache/concurrency-demo}"
PREFIX="$FT_CACHE/free-threaded"
PY="$PREFIX/bin/python3"
STAMP_NAME=".freethreaded-ok"
SRC_PKG="python3.13"
JOBS="${FT_JOBS:-$(nproc 2>/dev/null || echo 2)}"
KEYRING="/usr/share/keyrings/debian-archive-keyring.gpg"
START=$SECONDS

# Progress goes to stderr: stdout carries only the interpreter's path, for the caller.
log() { printf '[freethreaded %4ds] %s\n' "$((SECONDS - START))" "$*" >&2; }
die() { printf 'freethreaded.sh: ERROR: %s\n' "$*" >&2; exit 1; }

# Modules that pip, venv, aiohttp and Pillow need; checked on every candidate interpreter.
CHECK_CODE='
import sys
assert not sys._is_gil_enabled(), "GIL is enabled"
import ssl, zlib, ctypes, lzma, bz2, sqlite3, hashlib, ensurepip, venv  # noqa
'

# is_good INTERPRETER: runs, no GIL, required stdlib modules import.
is_good() {
    [[ -x "$1" ]] && "$1" -c "$CHECK_CODE" >/dev/null 2>&1
}

cached_ok() {
    [[ -f "$PREFIX/$STAMP_NAME" ]] && is_good "$PY"
}

report_reuse() {
    log "reusing cached free-threaded interpreter: $PY ($("$PY" -c 'import sys; print(sys.version.split()[0])'), GIL disabled)"
    printf '%s\n' "$PY"
}

# ---------------------------------------------------------------- fast path
if [[ "${FT_FORCE:-0}" != 1 ]] && cached_ok; then
    report_reuse
    exit 0
fi

mkdir -p "$FT_CACHE" "$FT_CACHE/logs"
command -v flock >/dev/null || die "flock (util-linux) is missing"
exec 9>"$FT_CACHE/.freethreaded.lock"
if ! flock -n 9; then
    log "another freethreaded.sh is running; waiting for its lock (up to 1 h)"
    flock -w 3600 9 || die "timed out waiting for $FT_CACHE/.freethreaded.lock"
    if cached_ok; then report_reuse; exit 0; fi
fi

WORK=""
MAKE_PGID=""
# shellcheck disable=SC2317  # invoked via trap
cleanup() {
    if [[ -n "$MAKE_PGID" ]]; then kill -TERM -- "-$MAKE_PGID" 2>/dev/null || true; fi
    if [[ -n "$WORK" && -d "$WORK" && "${FT_KEEP_BUILD:-0}" != 1 ]]; then rm -rf "$WORK"; fi
    rm -rf "$PREFIX.new" "$PREFIX.old" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Put the new tree ($1, a dir or a symlink, on the same filesystem) in place of $PREFIX.
swap_into_place() {
    local new="$1"
    rm -rf "$PREFIX.old"
    if [[ -e "$PREFIX" || -L "$PREFIX" ]]; then mv -T "$PREFIX" "$PREFIX.old"; fi
    mv -T "$new" "$PREFIX"
    rm -rf "$PREFIX.old"
}

# ---------------------------------------------------------------- route 1: uv
try_uv() {
    [[ "${FT_TRY_UV:-1}" == 1 ]] || { log "route 1 (uv): skipped (FT_TRY_UV=0)"; return 1; }
    local uv uvdir v found=""
    uv="$(command -v uv || true)"
    if [[ -z "$uv" && -x "$FT_CACHE/tools/uv/bin/uv" ]]; then uv="$FT_CACHE/tools/uv/bin/uv"; fi
    if [[ -z "$uv" ]]; then
        log "route 1 (uv): uv not on PATH; installing it from PyPI into $FT_CACHE/tools/uv"
        if timeout 180 python3 -m venv "$FT_CACHE/tools/uv" >/dev/null 2>&1 &&
            timeout 180 "$FT_CACHE/tools/uv/bin/python" -m pip install -q --timeout 20 uv >/dev/null 2>&1; then
            uv="$FT_CACHE/tools/uv/bin/uv"
        else
            rm -rf "$FT_CACHE/tools/uv"
            log "route 1 (uv): could not install uv; skipping"
            return 1
        fi
    fi
    uvdir="$FT_CACHE/uv-python"
    for v in ${FT_UV_VERSIONS:-3.14t 3.13t}; do
        log "route 1 (uv): $uv python install $v (timeout ${FT_UV_TIMEOUT:-45}s)"
        if UV_PYTHON_INSTALL_DIR="$uvdir" UV_HTTP_TIMEOUT=15 UV_HTTP_RETRIES=0 UV_NO_PROGRESS=1 \
            timeout "${FT_UV_TIMEOUT:-45}" "$uv" python install --no-bin "$v" \
            >"$FT_CACHE/logs/uv.log" 2>&1; then
            found="$(find "$uvdir" -maxdepth 3 -path "*/bin/python${v%t}t" \( -type f -o -type l \) 2>/dev/null | sort -V | tail -n1)"
            [[ -n "$found" ]] && break
            log "route 1 (uv): installed, but no bin/python${v%t}t under $uvdir"
        else
            log "route 1 (uv): failed: $(grep -E 'error|cause' "$FT_CACHE/logs/uv.log" | tail -n1 | sed 's/^ *//' || true)"
        fi
    done
    [[ -n "$found" ]] || return 1
    is_good "$found" || { log "route 1 (uv): $found fails the no-GIL/stdlib check"; return 1; }
    # $PREFIX becomes a symlink to uv's installation directory (atomic rename of a new link).
    rm -rf "$PREFIX.new"
    ln -s "$(dirname "$(dirname "$found")")" "$PREFIX.new"
    swap_into_place "$PREFIX.new"
    log "route 1 (uv): linked $PREFIX -> $(dirname "$(dirname "$found")")"
    return 0
}

# ---------------------------------------------------------------- route 2: Debian source package
# Mirror hosts from the system's own apt configuration (read only).
detect_mirror() {
    local uri
    uri="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
        sed -n -E 's@^[[:space:]]*(URIs:|deb(-src)?([[:space:]]+\[[^]]*\])?)[[:space:]]+([a-z]+://[^[:space:]]+/debian)/?([[:space:]].*)?$@\4@p' |
        head -n1)"
    printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

need_build_deps() {
    local required=(gcc make pkg-config xz-utils libssl-dev zlib1g-dev libffi-dev libbz2-dev liblzma-dev
        libsqlite3-dev libreadline-dev libncurses-dev uuid-dev libgdbm-dev libgdbm-compat-dev)
    local missing=() p sudo=()
    for p in "${required[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if ((${#missing[@]} == 0)); then log "build deps: all present"; return 0; fi
    [[ $EUID -eq 0 ]] || sudo=(sudo -n)
    log "build deps: installing from the system's apt sources: ${missing[*]}"
    local alog="$FT_CACHE/logs/apt-build-deps.log"
    if ! "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >"$alog" 2>&1; then
        log "build deps: install failed; running apt-get update once and retrying"
        "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update >>"$alog" 2>&1 || true
        "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >>"$alog" 2>&1 ||
            log "build deps: WARNING: could not install ${missing[*]} (see $alog); the module check will tell"
    fi
}

# Sets TARBALL to a verified python3.13_X.orig.tar.xz (downloaded now or cached earlier).
TARBALL=""
fetch_source() {
    local mirror secmirror apt_dir src_dir suite v orig dsc want have
    mirror="${FT_DEBIAN_MIRROR:-$(detect_mirror)}"
    secmirror="${mirror%/debian}/debian-security"
    apt_dir="$FT_CACHE/apt"
    src_dir="$FT_CACHE/src"
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/etc/preferences.d" "$src_dir"
    [[ -r "$KEYRING" ]] || log "route 2: WARNING: $KEYRING missing (package debian-archive-keyring)"
    {
        for suite in ${FT_DEBIAN_SUITES:-sid trixie}; do
            printf 'deb-src [signed-by=%s] %s %s main\n' "$KEYRING" "$mirror" "$suite"
        done
        printf 'deb-src [signed-by=%s] %s %s main\n' "$KEYRING" "$secmirror" "trixie-security"
    } >"$apt_dir/etc/sources.list"
    local apt_opts=(
        -o "Dir::Etc::SourceList=$apt_dir/etc/sources.list"
        -o "Dir::Etc::SourceParts=/dev/null"
        -o "Dir::Etc::Preferences=/dev/null"
        -o "Dir::Etc::PreferencesParts=$apt_dir/etc/preferences.d"
        -o "Dir::State::Lists=$apt_dir/lists"
        -o "Dir::Cache=$apt_dir/cache"
        -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
        -o "APT::Sandbox::User=root"
        -o "Acquire::Retries=1" -o "Acquire::http::Timeout=20"
    )
    log "route 2 (debian src): private apt update: deb-src ${FT_DEBIAN_SUITES:-sid trixie} + trixie-security from $mirror"
    timeout 300 apt-get "${apt_opts[@]}" update >"$FT_CACHE/logs/apt-private.log" 2>&1 ||
        log "route 2: private apt update reported errors (see $FT_CACHE/logs/apt-private.log); using what was fetched"

    # Newest version first; the mirror may list versions whose files it no longer serves.
    local versions
    versions="$(apt-cache "${apt_opts[@]}" showsrc "$SRC_PKG" 2>/dev/null | sed -n 's/^Version: //p' | sort -u -V -r || true)"
    [[ -n "$versions" ]] || log "route 2: the private apt index lists no $SRC_PKG source package (see $FT_CACHE/logs/apt-private.log)"
    for v in $versions; do
        log "route 2: apt-get source --download-only $SRC_PKG=$v"
        if (cd "$src_dir" && timeout 600 apt-get "${apt_opts[@]}" source --download-only "$SRC_PKG=$v" \
            >>"$FT_CACHE/logs/apt-private.log" 2>&1); then
            break
        fi
        log "route 2: $SRC_PKG=$v not downloadable from this mirror; trying an older one"
    done

    # Use the newest cached orig tarball whose .dsc checksum matches (also covers offline re-runs).
    for dsc in $(find "$src_dir" -maxdepth 1 -name "${SRC_PKG}_*.dsc" | sort -V -r); do
        orig="$(sed -n -E 's/^ ([0-9a-f]{64}) [0-9]+ (.*\.orig\.tar\.xz)$/\2/p' "$dsc" | head -n1)"
        want="$(sed -n -E 's/^ ([0-9a-f]{64}) [0-9]+ .*\.orig\.tar\.xz$/\1/p' "$dsc" | head -n1)"
        [[ -n "$orig" && -f "$src_dir/$orig" ]] || continue
        have="$(sha256sum "$src_dir/$orig" | cut -d' ' -f1)"
        if [[ "$have" == "$want" ]]; then
            TARBALL="$src_dir/$orig"
            return 0
        fi
        log "route 2: $orig checksum mismatch; deleting it"
        rm -f "$src_dir/$orig"
    done
    return 1
}

# run_logged DIR LOGFILE LABEL CMD...: runs CMD in DIR in its own process group (so the
# EXIT trap can stop all of it), output to LOGFILE, printing a progress line every 30 s.
run_logged() {
    local dir="$1" logf="$2" label="$3" t0=$SECONDS next=30 pid rc
    shift 3
    (cd "$dir" && exec setsid "$@") >>"$logf" 2>&1 </dev/null &
    pid=$!
    MAKE_PGID=$pid
    while kill -0 "$pid" 2>/dev/null; do
        sleep 2
        if ((SECONDS - t0 >= next)); then
            log "  still ${label}... $((SECONDS - t0)) s | $(tail -n1 "$logf" 2>/dev/null | cut -c1-110)"
            next=$((next + 30))
        fi
    done
    rc=0
    wait "$pid" || rc=$?
    MAKE_PGID=""
    return "$rc"
}

build_from_source() {
    local tarball="$1" blog srcdir stage
    blog="$FT_CACHE/logs/build-$(date +%Y%m%d-%H%M%S).log"
    WORK="$(mktemp -d "$FT_CACHE/build.XXXXXX")"
    log "route 2: unpacking $(basename "$tarball") into $WORK (build log: $blog)"
    tar -xJf "$tarball" -C "$WORK"
    srcdir="$(find "$WORK" -mindepth 1 -maxdepth 1 -type d -name 'Python-*' | head -n1)"
    [[ -n "$srcdir" && -x "$srcdir/configure" ]] || { log "route 2: no Python-*/configure in the tarball"; return 1; }

    log "route 2: ./configure --disable-gil --prefix=$PREFIX --with-ensurepip=no"
    run_logged "$srcdir" "$blog" configuring ./configure --disable-gil --prefix="$PREFIX" \
        --with-ensurepip=no || { log "route 2: configure failed (see $blog)"; return 1; }

    log "route 2: make -j$JOBS (a few minutes on 2 cores)"
    run_logged "$srcdir" "$blog" building make -j"$JOBS" || { log "route 2: make failed (see $blog)"; return 1; }
    if grep -qE 'Failed to build these modules|necessary bits to build these optional modules were not found' "$blog"; then
        log "route 2: note: $(grep -A2 -E 'Failed to build these modules|necessary bits' "$blog" | tr -s ' \n' ' ' | cut -c1-200)"
    fi

    # Install into a staging DESTDIR on the same filesystem, then rename into place.
    stage="$WORK/stage"
    log "route 2: make install DESTDIR=<staging dir>"
    run_logged "$srcdir" "$blog" installing make install DESTDIR="$stage" ||
        { log "route 2: make install failed (see $blog)"; return 1; }
    [[ -x "$stage$PREFIX/bin/python3.13t" ]] || { log "route 2: staged tree has no bin/python3.13t"; return 1; }
    rm -rf "$PREFIX.new"
    mv -T "$stage$PREFIX" "$PREFIX.new"
    swap_into_place "$PREFIX.new"

    # pip goes in only now, so its scripts' shebangs name the final path.
    log "route 2: python3.13t -m ensurepip --upgrade"
    "$PY" -m ensurepip --upgrade >>"$blog" 2>&1 || { log "route 2: ensurepip failed (see $blog)"; return 1; }
    ln -sfn python3.13t "$PREFIX/bin/python3t"
    return 0
}

verify_final() {
    local vdir
    is_good "$PY" || { log "check: $PY fails: $("$PY" -c "$CHECK_CODE" 2>&1 | tail -n1)"; return 1; }
    vdir="$(mktemp -d "$FT_CACHE/venvcheck.XXXXXX")"
    if "$PY" -m venv "$vdir/v" >/dev/null 2>&1 && "$vdir/v/bin/python" -m pip --version >/dev/null 2>&1 &&
        "$vdir/v/bin/python" -c 'import sys; assert not sys._is_gil_enabled()'; then
        rm -rf "$vdir"
        return 0
    fi
    rm -rf "$vdir"
    log "check: venv/pip from $PY does not work"
    return 1
}

# ---------------------------------------------------------------- main
log "target: $PY"
if [[ -e "$PREFIX" || -L "$PREFIX" ]]; then
    log "existing $PREFIX is incomplete or fails the check (or FT_FORCE=1); it will be replaced"
fi

if try_uv && verify_final; then
    touch "$PREFIX/$STAMP_NAME"
    log "done (route 1, uv) in $((SECONDS - START)) s: $PY"
    printf '%s\n' "$PY"
    exit 0
fi
rm -f "$PREFIX/$STAMP_NAME" 2>/dev/null || true

log "route 2 (debian src): checking build dependencies"
need_build_deps
if fetch_source; then
    tarball="$TARBALL"
    log "route 2: source: $tarball"
    if build_from_source "$tarball" && verify_final; then
        touch "$PREFIX/$STAMP_NAME"
        log "done (route 2, built from $(basename "$tarball")) in $((SECONDS - START)) s: $PY"
        printf '%s\n' "$PY"
        exit 0
    fi
    die "could not obtain a free-threaded CPython: route 1 (uv) gave nothing and the source build of $(basename "$tarball") failed (logs in $FT_CACHE/logs)"
fi
die "could not obtain a free-threaded CPython: route 1 (uv) gave nothing and no $SRC_PKG source package could be fetched from the Debian mirror (logs in $FT_CACHE/logs)"
