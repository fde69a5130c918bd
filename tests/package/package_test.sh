#!/usr/bin/env bash
# The .deb as a user gets it: built by cpack from the build tree (which it does not rebuild),
# unpacked with dpkg -x into a scratch root, its file list and control fields checked, its
# binary run from there, its man page, units, desktop entry and metainfo put through the tools
# that read them. Usage: package_test.sh BUILD_DIR VERSION CPACK
set -uo pipefail

build=$1 version=$2 cpack=$3
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
# Checks that need a tool CI installs (scripts/dev.sh test): say so when it is missing here.
have() { command -v "$1" >/dev/null 2>&1 || { echo "not checked: $1 is not installed ($2)"; return 1; }; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
root=$scratch/root

started=$(date +%s%N)
elapsed() { local ms=$((($(date +%s%N) - started) / 1000000)); printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100)); }
if ! "$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$scratch/out" >"$scratch/cpack.log" 2>&1; then
    cat "$scratch/cpack.log"
    echo "FAIL: cpack -G DEB failed"
    exit 1
fi
arch=$(dpkg --print-architecture)
deb=$scratch/out/crawldeck_${version}_${arch}.deb
[ -f "$deb" ] || { ls "$scratch/out"; echo "FAIL: cpack did not write crawldeck_${version}_${arch}.deb"; exit 1; }
echo "package: ${deb##*/}, $(stat -c %s "$deb") bytes, built in $(elapsed)"

# --- control fields -----------------------------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = crawldeck ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', not $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture is '$(field Architecture)'"
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
[ "$(field Section)" = net ] || fail "Section is '$(field Section)'"
[ "$(dpkg-deb -f "$deb" Description | wc -l)" -ge 2 ] || fail "Description has no long description"
depends=$(field Depends)
echo "Depends: $depends"
echo "Recommends: $(field Recommends)"
# Libraries from shlibdeps, plugins named by hand (nothing links them).
depnames=" $(sed -E 's/ *\([^)]*\)//g; s/[,|]/ /g' <<<"$depends") "
for need in libqt6core6 libqt6network6 libqt6sql6 libqt6widgets6 libqt6sql6-sqlite \
    libqt6svg6 qt6-qpa-plugins libc6 libstdc++6; do
    [[ "$depnames" == *" $need "* ]] || fail "Depends lacks $need"
done
# Every name must be a real package: the machine that built the binary has each one installed.
IFS=, read -ra deps <<<"$depends,$(field Recommends)"
for dep in "${deps[@]}"; do
    found=0
    IFS='|' read -ra alternatives <<<"$dep"
    for alt in "${alternatives[@]}"; do
        name=$(sed -E 's/^ *//; s/[ (].*//' <<<"$alt")
        [ -z "$name" ] && continue
        dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q 'install ok installed' && found=1
    done
    [ "$found" = 1 ] || fail "dependency '$dep' names no installed package"
done

dpkg-deb -e "$deb" "$scratch/control"
grep -qx /etc/crawldeck/crawldeck.env "$scratch/control/conffiles" 2>/dev/null ||
    fail "the environment file is not a conffile"
for script in postinst prerm postrm; do
    [ -x "$scratch/control/$script" ] || { fail "no executable $script"; continue; }
    sh -n "$scratch/control/$script" || fail "$script is not valid sh"
done

# --- file list ----------------------------------------------------------------------------------
dpkg-deb -c "$deb" >"$scratch/contents"
echo "--- dpkg -c"
cat "$scratch/contents"
echo "---"
expected=(
    ./etc/crawldeck/crawldeck.env
    ./usr/bin/crawldeck
    ./usr/lib/systemd/system/crawldeck.service
    ./usr/lib/systemd/system/crawldeck@.service
    ./usr/share/applications/crawldeck.desktop
    ./usr/share/doc/crawldeck/changelog.gz
    ./usr/share/doc/crawldeck/copyright
    ./usr/share/icons/hicolor/scalable/apps/crawldeck.svg
    ./usr/share/man/man1/crawldeck.1.gz
    ./usr/share/metainfo/io.github.crawldeck.Crawldeck.metainfo.xml
)
sizes=(16 24 32 48 64 128 256 512)
for s in "${sizes[@]}"; do expected+=("./usr/share/icons/hicolor/${s}x${s}/apps/crawldeck.png"); done
awk '$1 !~ /^d/ {print $6}' "$scratch/contents" | sort >"$scratch/files"
printf '%s\n' "${expected[@]}" | sort >"$scratch/expected"
if ! diff -u "$scratch/expected" "$scratch/files" >"$scratch/filediff"; then
    cat "$scratch/filediff"
    fail "the package's files differ from the expected list (- missing, + unexpected)"
else
    ok "${#expected[@]} files, as expected"
fi
grep -Eq '^-rw------- root/root .* \./etc/crawldeck/crawldeck\.env$' "$scratch/contents" ||
    fail "crawldeck.env is not -rw------- root/root"
grep -Eq '^-rwxr-xr-x root/root .* \./usr/bin/crawldeck$' "$scratch/contents" ||
    fail "usr/bin/crawldeck is not -rwxr-xr-x root/root"

dpkg -x "$deb" "$root"
bin=$root/usr/bin/crawldeck

# --- the binary, from the unpacked root, with no display ------------------------------------------
if readelf -S "$bin" | grep -q '\.debug_info'; then fail "usr/bin/crawldeck is not stripped"; fi
out=$(env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM "$bin" --version 2>&1)
rc=$?
[ $rc = 0 ] && [ "$out" = "crawldeck $version" ] && ok "crawldeck --version: $out" ||
    fail "crawldeck --version: exit $rc, '$out' (expected 'crawldeck $version')"
env -u DISPLAY -u WAYLAND_DISPLAY "$bin" --help >"$scratch/help" 2>&1 || fail "crawldeck --help: exit $?"
if env -u DISPLAY -u WAYLAND_DISPLAY "$bin" jobs --help >"$scratch/jobshelp" 2>&1; then
    ok "crawldeck jobs --help"
    for cmd in list start show logs cancel retry artifacts export wait; do
        grep -qw "$cmd" "$scratch/jobshelp" || fail "crawldeck jobs --help does not mention '$cmd'"
    done
else
    rc=$?
    sed 's/^/  | /' "$scratch/jobshelp" | head -5
    fail "crawldeck jobs --help: exit $rc; the packaged binary has no working 'jobs' command line"
fi

# --- man page -----------------------------------------------------------------------------------
man1=$root/usr/share/man/man1/crawldeck.1.gz
gzip -dc "$man1" >"$scratch/crawldeck.1" || fail "the man page is not gzip"
if have groff "groff-base"; then
    warnings=$(groff -man -Tutf8 -ww -z "$scratch/crawldeck.1" 2>&1)
    [ -z "$warnings" ] && ok "groff -man -ww: no warnings" || fail "groff warnings in crawldeck(1): $warnings"
fi
if have man "man-db"; then
    rendered=$(MANWIDTH=100 man -l "$man1" 2>"$scratch/manerr")
    [ -s "$scratch/manerr" ] && fail "man -l: $(cat "$scratch/manerr")"
    grep -q '^NAME' <<<"$rendered" && ok "man -l" || fail "man -l renders no NAME section"
fi
grep -q "^\.TH CRAWLDECK 1 .*\"crawldeck $version\"" "$scratch/crawldeck.1" || fail "man page .TH lacks version $version"
# Every option `crawldeck --help` and `crawldeck jobs --help` show is in the page (roff writes \-\-).
for opt in $(grep -ohE -- '--[a-z][a-z0-9-]+' "$scratch/help" "$scratch/jobshelp" | sort -u); do
    grep -qF -- "$(sed 's/-/\\-/g' <<<"$opt")" "$scratch/crawldeck.1" || fail "the man page does not mention $opt"
done
for cmd in "worker crawl" token "jobs list" "jobs start" "jobs show" "jobs logs" "jobs cancel" "jobs retry" \
    "jobs artifacts" "jobs export" "jobs wait"; do
    grep -q "$cmd" "$scratch/crawldeck.1" || fail "the man page does not describe '$cmd'"
done
for var in CRAWLDECK_API_TOKEN CRAWLDECK_CALLBACK_KEY CRAWLDECK_DATA_DIR CRAWLDECK_DATABASE CRAWLDECK_LISTEN \
    CRAWLDECK_PUBLIC_URL CRAWLDECK_URL RUNPOD_API_KEY RUNPOD_ENDPOINT_URL RUNPOD_POD_URL; do
    grep -q "^\.B $var\$" "$scratch/crawldeck.1" || fail "the man page's ENVIRONMENT lacks $var"
done

# --- systemd units ------------------------------------------------------------------------------
units=$root/usr/lib/systemd/system
for unit in crawldeck.service crawldeck@.service; do
    f=$units/$unit
    grep -qx 'DynamicUser=yes' "$f" || fail "$unit: no DynamicUser=yes"
    grep -q '^User=' "$f" && fail "$unit names a User= that nothing creates"
    grep -qx 'EnvironmentFile=-/etc/crawldeck/crawldeck.env' "$f" || fail "$unit does not read crawldeck.env"
    grep -qx 'KillMode=mixed' "$f" || fail "$unit: KillMode is not mixed"
    grep -Eq '^ExecStart=/usr/bin/crawldeck --headless( |$)' "$f" || fail "$unit: ExecStart"
    grep -Eiq '^Environment=.*(TOKEN|KEY|PASSWORD)' "$f" && fail "$unit carries a secret"
done
grep -qx 'StateDirectory=crawldeck' "$units/crawldeck.service" || fail "crawldeck.service: StateDirectory"
grep -qx 'Environment=CRAWLDECK_DATA_DIR=%S/crawldeck' "$units/crawldeck.service" || fail "crawldeck.service: data dir"
grep -qx 'EnvironmentFile=-/etc/crawldeck/%i.env' "$units/crawldeck@.service" || fail "crawldeck@.service: %i.env"
if have systemd-analyze "systemd"; then
    # verify wants ExecStart's binary on this machine: the unpacked one stands in for /usr/bin;
    # MANPATH lets it find Documentation=man:crawldeck(1) in the package.
    mkdir -p "$scratch/units"
    sed "s#/usr/bin/crawldeck#$bin#" "$units/crawldeck.service" >"$scratch/units/crawldeck.service"
    sed "s#/usr/bin/crawldeck#$bin#" "$units/crawldeck@.service" >"$scratch/units/crawldeck@node1.service"
    verify=$(cd "$scratch/units" && MANPATH=$root/usr/share/man systemd-analyze verify \
        ./crawldeck.service ./crawldeck@node1.service 2>&1)
    rc=$?
    [ $rc = 0 ] && [ -z "$verify" ] && ok "systemd-analyze verify: both units" ||
        fail "systemd-analyze verify (exit $rc): $verify"
    exposure=$(cd "$scratch/units" && systemd-analyze security --offline=yes ./crawldeck.service 2>/dev/null |
        grep -o 'exposure level for crawldeck.service: [0-9.]*')
    echo "${exposure:-no exposure figure}"
fi

# --- environment file: a commented example, no value shipped ---------------------------------------
env_file=$root/etc/crawldeck/crawldeck.env
if grep -Ev '^[[:space:]]*(#|$)' "$env_file" >/dev/null; then
    fail "crawldeck.env sets something: $(grep -Ev '^[[:space:]]*(#|$)' "$env_file" | head -1)"
fi
for var in CRAWLDECK_API_TOKEN RUNPOD_API_KEY CRAWLDECK_DATABASE CRAWLDECK_OPTIONS; do
    grep -q "^#$var=" "$env_file" || fail "crawldeck.env does not show $var"
done

# --- desktop entry, metainfo, icons -------------------------------------------------------------
desktop=$root/usr/share/applications/crawldeck.desktop
metainfo=$root/usr/share/metainfo/io.github.crawldeck.Crawldeck.metainfo.xml
if have desktop-file-validate "desktop-file-utils"; then
    out=$(desktop-file-validate "$desktop" 2>&1)
    [ $? = 0 ] && [ -z "$out" ] && ok "desktop-file-validate" || fail "desktop-file-validate: $out"
fi
if have appstreamcli "appstream"; then
    out=$(appstreamcli validate --no-net --no-color "$metainfo" 2>&1)
    [ $? = 0 ] && ok "appstreamcli validate --no-net" || fail "appstreamcli validate: $out"
fi
grep -q "<release version=\"$version\"" "$metainfo" || fail "metainfo has no release $version"
grep -q "^## \[$version\]" <(gzip -dc "$root/usr/share/doc/crawldeck/changelog.gz") ||
    fail "the changelog has no section for $version"
for s in "${sizes[@]}"; do
    png=$root/usr/share/icons/hicolor/${s}x${s}/apps/crawldeck.png
    [ -f "$png" ] || continue # reported by the file list
    # PNG: the 8-byte signature, then IHDR with width and height as 32-bit big-endian numbers.
    read -r w h < <(od -An -tu1 -j16 -N8 "$png" | awk '{print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8}')
    [ "$(od -An -c -j1 -N3 "$png" | tr -d ' ')" = PNG ] && [ "$w" = "$s" ] && [ "$h" = "$s" ] ||
        fail "${s}x${s}/apps/crawldeck.png is not a ${s}x${s} PNG (${w}x${h})"
done

echo "package test: $failures failure(s) in $(elapsed)"
[ "$failures" = 0 ]
