#!/usr/bin/env bash
# Builds the real container images the image/SBOM tests scan, with Debian's
# podman + runc from a debootstrap'd bookworm root. Needs root, network to the
# Debian mirror, PyPI and npm.
#
# Output goes to $SEAWALL_TEST_IMAGES (default /var/cache/seawall-test-images)
# under a directory named by the sha256 of this script, so reruns are instant
# and any edit to the script rebuilds. Prints that directory on stdout.
#
# For each image NAME the output holds:
#   NAME.docker.tar   docker-archive (podman save)
#   NAME.oci.tar      oci-archive (podman save)
#   NAME.oci/         OCI layout, gzip layers (skopeo copy), tag "latest"
#   NAME.zstd.oci/    OCI layout, zstd layers (deb-layers only)
#   NAME.rootfs/      the final root filesystem (podman export), for ground truth
#   NAME.ref          the local podman reference
# plus expected/*.txt for ecosystems without a distro query tool.
set -euo pipefail

script="$(readlink -f "$0")"
hash="$(sha256sum "$script" | cut -c1-16)"
base="${SEAWALL_TEST_IMAGES:-/var/cache/seawall-test-images}"
out="$base/$hash"
if [[ -f "$out/done" ]]; then
    echo "$out"
    exit 0
fi
mkdir -p "$base"
exec 9>"$base/.lock-$hash"
flock 9
if [[ -f "$out/done" ]]; then
    echo "$out"
    exit 0
fi

log() { echo "build-test-images: $*" >&2; }

mirror="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)"
mirror="${mirror:-http://deb.debian.org/debian}"
tag="seawall-test-$hash"
build() { # build NAME CONTEXT
    podman --runtime runc build --network host --ulimit nofile=1024:1024 \
        --ulimit nproc=1024:1024 --layers -t "localhost/$tag/$1:latest" "$2" >&2
}

rm -rf "$out"
mkdir -p "$out/expected"
work="$(mktemp -d "$base/work-$hash.XXXX")"
trap 'rm -rf "$work"' EXIT

# ---------------------------------------------------------------- base root
# The debootstrap result is cached on its own (keyed by mirror) so edits to
# the rest of this script do not download Debian again.
bs="$base/debootstrap-bookworm-minbase-$(echo "$mirror" | sha256sum | cut -c1-12).tar"
if [[ ! -f "$bs" ]]; then
    log "debootstrap bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$work/root" "$mirror" >&2
    tar -C "$work/root" --numeric-owner -cf "$bs.tmp" . && mv "$bs.tmp" "$bs"
else
    mkdir -p "$work/root"
    tar -C "$work/root" --numeric-owner -xf "$bs"
fi
cat >"$work/root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
EOF
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
tar -C "$work/root" --numeric-owner -c . | podman import - "localhost/$tag/base:latest" >&2

# ------------------------------------------------- host-side language content
log "downloading wheels and npm packages on the host"
mkdir -p "$work/deb/site-packages" "$work/deb/app"
pip download --quiet --only-binary=:all: --no-deps --python-version 3.11 \
    --platform any -d "$work/wheels" \
    requests==2.32.3 urllib3==2.2.3 idna==3.10 certifi==2024.8.30 six==1.16.0 >&2
pip download --quiet --only-binary=:all: --no-deps --python-version 3.11 \
    --platform any -d "$work/wheels-old" six==1.15.0 >&2
pip install --quiet --no-deps --no-compile --target "$work/deb/site-packages" "$work"/wheels/*.whl >&2
pip install --quiet --no-deps --no-compile --target "$work/deb/site-old" "$work"/wheels-old/*.whl >&2
cat >"$work/deb/app/package.json" <<'EOF'
{"name": "seawall-demo-app", "version": "1.0.0", "private": true,
 "dependencies": {"express": "4.21.1", "lodash": "4.17.21"}}
EOF
(cd "$work/deb/app" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error >&2)

# ---------------------------------------------------------- deb-layers image
# Layers: install, upgrade (security suite), python + node content, a file
# later hidden by a whiteout, an opaque directory, and a removal.
cat >"$work/deb/Containerfile" <<EOF
FROM localhost/$tag/base:latest
RUN apt-get update && apt-get install -y --no-install-recommends -t bookworm jq less libsqlite3-0 openssl && rm -rf /var/lib/apt/lists/*
RUN apt-get update && apt-get upgrade -y && apt-get install -y --no-install-recommends xz-utils && rm -rf /var/lib/apt/lists/*
COPY site-old /usr/local/lib/python3.11/dist-packages/
COPY hidden.dist-info /opt/hidden/site-packages/hidden_pkg-9.9.9.dist-info/
COPY app /app/
RUN rm -rf /usr/local/lib/python3.11/dist-packages && mkdir -p /usr/local/lib/python3.11/dist-packages && rm -rf /opt/hidden
COPY site-packages /usr/local/lib/python3.11/dist-packages/
RUN apt-get remove -y --purge less && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
EOF
mkdir -p "$work/deb/hidden.dist-info"
printf 'Metadata-Version: 2.1\nName: hidden-pkg\nVersion: 9.9.9\n' >"$work/deb/hidden.dist-info/METADATA"
log "building deb-layers"
build deb-layers "$work/deb"

# ---------------------------------------------------------------- apps image
# A Go binary (with -ldflags version), a cargo-auditable Rust binary, a jar
# with a nested jar, and an rpm database built with rpm --root --initdb.
mkdir -p "$work/apps/ctx/usr/local/bin" "$work/apps/ctx/opt/app" "$work/apps/go" "$work/apps/rs/src"
cat >"$work/apps/go/go.mod" <<'EOF'
module example.com/seawall/hello

go 1.19
EOF
cat >"$work/apps/go/main.go" <<'EOF'
package main

import "fmt"

var version = "dev"

func main() { fmt.Println("hello", version) }
EOF
(cd "$work/apps/go" && GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=0 go build \
    -ldflags "-X main.version=1.4.2" -o "$work/apps/ctx/usr/local/bin/hello-go" . >&2)
go version -m "$work/apps/ctx/usr/local/bin/hello-go" >"$out/expected/go-version-m.txt"

cat >"$work/apps/rs/Cargo.toml" <<'EOF'
[package]
name = "hello-rs"
version = "0.3.1"
edition = "2021"

[dependencies]
itoa = "=1.0.11"
EOF
echo 'fn main() { let mut b = itoa::Buffer::new(); println!("{}", b.format(42u8)); }' >"$work/apps/rs/src/main.rs"
if ! command -v cargo-auditable >/dev/null; then
    PATH="$HOME/.cargo/bin:$PATH"
    command -v cargo-auditable >/dev/null || cargo install --locked cargo-auditable >&2
fi
(cd "$work/apps/rs" && CARGO_TARGET_DIR="$work/apps/rs/target" cargo auditable build --release --quiet >&2)
cp "$work/apps/rs/target/release/hello-rs" "$work/apps/ctx/usr/local/bin/hello-rs"
awk '/^\[\[package\]\]/{p=1} p && /^name = /{n=$3} p && /^version = /{gsub(/"/,"",n); v=$3; gsub(/"/,"",v); print n" "v}' \
    "$work/apps/rs/Cargo.lock" | sort >"$out/expected/cargo.txt"

python3 - "$work/apps/ctx/opt/app/demo-app.jar" <<'EOF'
import io, sys, zipfile
def jar(entries):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return b.getvalue()
inner = jar([
    ("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nImplementation-Title: tiny-json\r\nImplementation-Version: 0.9.1\r\n\r\n"),
    ("META-INF/maven/org.example.libs/tiny-json/pom.properties", "groupId=org.example.libs\nartifactId=tiny-json\nversion=0.9.1\n"),
])
outer = jar([
    ("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nMain-Class: com.example.Demo\r\nImplementation-Version: 2.5.0\r\n\r\n"),
    ("META-INF/maven/com.example/demo-app/pom.properties", "groupId=com.example\nartifactId=demo-app\nversion=2.5.0\n"),
    ("BOOT-INF/lib/tiny-json-0.9.1.jar", inner),
])
open(sys.argv[1], "wb").write(outer)
EOF
printf 'com.example:demo-app 2.5.0\norg.example.libs:tiny-json 0.9.1\n' >"$out/expected/maven.txt"

mkdir -p "$work/rpm/SPECS"
spec() { # spec NAME EPOCH VERSION RELEASE ARCH LICENSE
    cat >"$work/rpm/SPECS/$1.spec" <<EOF
Name: $1
$( [[ -n "$2" ]] && echo "Epoch: $2" )
Version: $3
Release: $4
Summary: seawall test package $1
License: $6
BuildArch: $5
%description
Test package for seawall's rpm cataloger.
%install
mkdir -p %{buildroot}/usr/share/$1
echo $1 > %{buildroot}/usr/share/$1/README
%files
/usr/share/$1/README
EOF
    rpmbuild --quiet --define "_topdir $work/rpm" -bb "$work/rpm/SPECS/$1.spec" >&2
}
spec seawall-hello "" 1.0 1 noarch MIT
spec seawall-lib 2 2.3.1 4.el9 x86_64 "Apache-2.0"
spec seawall-tools "" 0.7.3 2 noarch "GPL-2.0-or-later"
for db in var/lib/rpm usr/lib/sysimage/rpm; do
    r="$work/rpmroot-${db//\//-}"
    mkdir -p "$r"
    rpm --root "$r" --dbpath "/$db" --initdb
    rpm --root "$r" --dbpath "/$db" -i --nodeps --noscripts --justdb \
        "$work"/rpm/RPMS/*/*.rpm >&2
done
mkdir -p "$work/apps/ctx/var/lib/rpm"
cp -a "$work/rpmroot-var-lib-rpm/var/lib/rpm/." "$work/apps/ctx/var/lib/rpm/"
cat >"$work/apps/Containerfile" <<EOF
FROM localhost/$tag/base:latest
COPY ctx/usr /usr/
COPY ctx/opt /opt/
COPY ctx/var /var/
EOF
log "building apps"
build apps "$work/apps"

# ---------------------------------------------------------- distroless image
# FROM scratch with dpkg status.d (one file per package), like
# gcr.io/distroless: no dpkg, no shell.
d="$work/distroless"
mkdir -p "$d/ctx/var/lib/dpkg/status.d" "$d/ctx/etc" "$d/ctx/usr/lib" "$d/ctx/usr/lib/sysimage/rpm"
for p in base-files tzdata libc6 libgcc-s1 gcc-12-base mawk; do
    dpkg-query --admindir="$work/root/var/lib/dpkg" -s "$p" >"$d/ctx/var/lib/dpkg/status.d/$p"
done
cp -a "$work/root/usr/lib/os-release" "$d/ctx/usr/lib/os-release"
ln -s ../usr/lib/os-release "$d/ctx/etc/os-release"
cp -a "$work/rpmroot-usr-lib-sysimage-rpm/usr/lib/sysimage/rpm/." "$d/ctx/usr/lib/sysimage/rpm/"
cat >"$d/Containerfile" <<'EOF'
FROM scratch
COPY ctx/ /
EOF
log "building distroless"
build distroless "$d"

# ------------------------------------------------------------------- export
for name in deb-layers apps distroless; do
    ref="localhost/$tag/$name:latest"
    log "saving $name"
    echo "$ref" >"$out/$name.ref"
    podman save --format docker-archive -o "$out/$name.docker.tar" "$ref" >&2
    podman save --format oci-archive -o "$out/$name.oci.tar" "$ref" >&2
    skopeo copy --quiet "containers-storage:$ref" "oci:$out/$name.oci:latest" >&2
    cid="$(podman create "$ref" /nonexistent)"
    mkdir -p "$out/$name.rootfs"
    podman export "$cid" | tar -C "$out/$name.rootfs" --numeric-owner -x
    podman rm "$cid" >/dev/null
done
skopeo copy --quiet --dest-compress --dest-compress-format zstd \
    "containers-storage:localhost/$tag/deb-layers:latest" "oci:$out/deb-layers.zstd.oci:latest" >&2

touch "$out/done"
echo "$out"
