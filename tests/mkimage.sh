#!/bin/bash
# Pack a root filesystem directory as an OCI image archive, offline:
#
#   tests/mkimage.sh OUT.tar NAME:TAG ROOTFS_DIR [CMD ARG...]
#
# OUT.tar is an OCI image layout (oci-layout, index.json, blobs/sha256/...)
# in a tar file, with one gzip'd layer holding all of ROOTFS_DIR, a config
# whose Cmd is CMD ARG... (default: sh) and whose Env sets a usual PATH, and
# one manifest for linux on the host's architecture.  The index entry carries
# two name annotations so that both clients name the image the same way:
#
#   org.opencontainers.image.ref.name  NAME:TAG
#   io.containerd.image.name           localhost/NAME:TAG  (NAME as given if
#                                      its first component is a host name)
#
# It loads with `podman load -i OUT.tar` (image localhost/NAME:TAG) and
# `ctr images import OUT.tar` (same name).  The archive is reproducible: the
# same ROOTFS_DIR gives the same digests (sorted entries, mtime 0, gzip -n).
#
# ROOTFS_DIR comes from tests/mkrootfs.sh BUNDLE (busybox: BUNDLE/rootfs) or
# tests/mkrootfs-python.sh BUNDLE (busybox + the host's python3.11).
# Needs tar, gzip, sha256sum and jq; no network, no registry.
set -euo pipefail

die() { echo "mkimage.sh: $*" >&2; exit 1; }

if [ $# -lt 3 ]; then
	die "usage: mkimage.sh OUT.tar NAME:TAG ROOTFS_DIR [CMD ARG...]"
fi
out=$1
ref=$2
rootfs=$3
shift 3
[ $# -gt 0 ] || set -- sh

case $ref in
*:*) ;;
*) die "image reference \`$ref\` has no :TAG" ;;
esac
[ -d "$rootfs" ] || die "root filesystem \`$rootfs\` is not a directory"
for tool in tar gzip sha256sum jq; do
	command -v "$tool" >/dev/null || die "$tool not found (install it: Debian packages tar gzip coreutils jq)"
done

# Before a slash, a component with a dot or colon, or `localhost`, is a
# host name (the rule podman and containerd apply).
full=localhost/$ref
case $ref in
*/*)
	case ${ref%%/*} in
	*.* | *:* | localhost) full=$ref ;;
	esac
	;;
esac

case $(uname -m) in
x86_64) arch=amd64 ;;
aarch64) arch=arm64 ;;
ppc64le) arch=ppc64le ;;
s390x) arch=s390x ;;
riscv64) arch=riscv64 ;;
*) die "unknown architecture $(uname -m)" ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/mkimage.XXXXXX")
trap 'rm -rf "$work"' EXIT
blobs=$work/layout/blobs/sha256
mkdir -p "$blobs"

digest() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
# Moves FILE into the blob store; prints its digest.
store() {
	local d
	d=$(digest "$1")
	mv "$1" "$blobs/$d"
	echo "$d"
}

tar --format=gnu --sort=name --mtime=@0 --numeric-owner -C "$rootfs" -cf "$work/layer.tar" .
diff_id=$(digest "$work/layer.tar")
gzip -n -6 "$work/layer.tar"
layer_size=$(size "$work/layer.tar.gz")
layer=$(store "$work/layer.tar.gz")

jq -n --arg arch "$arch" --arg diff "sha256:$diff_id" --args '{
	architecture: $arch,
	os: "linux",
	created: "1970-01-01T00:00:00Z",
	config: {
		Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
		Cmd: $ARGS.positional,
		WorkingDir: "/"
	},
	rootfs: {type: "layers", diff_ids: [$diff]},
	history: [{created: "1970-01-01T00:00:00Z", created_by: "tests/mkimage.sh"}]
}' "$@" >"$work/config.json"
config_size=$(size "$work/config.json")
config=$(store "$work/config.json")

jq -n --arg config "sha256:$config" --argjson csize "$config_size" \
	--arg layer "sha256:$layer" --argjson lsize "$layer_size" '{
	schemaVersion: 2,
	mediaType: "application/vnd.oci.image.manifest.v1+json",
	config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $config, size: $csize},
	layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $layer, size: $lsize}]
}' >"$work/manifest.json"
manifest_size=$(size "$work/manifest.json")
manifest=$(store "$work/manifest.json")

jq -n --arg m "sha256:$manifest" --argjson msize "$manifest_size" \
	--arg ref "$ref" --arg full "$full" --arg arch "$arch" '{
	schemaVersion: 2,
	manifests: [{
		mediaType: "application/vnd.oci.image.manifest.v1+json",
		digest: $m,
		size: $msize,
		platform: {architecture: $arch, os: "linux"},
		annotations: {
			"org.opencontainers.image.ref.name": $ref,
			"io.containerd.image.name": $full
		}
	}]
}' >"$work/layout/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/layout/oci-layout"

tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
	-C "$work/layout" -cf "$work/out.tar" oci-layout index.json blobs
mv "$work/out.tar" "$out"
