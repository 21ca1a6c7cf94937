#!/usr/bin/env bats
# features: the runtime-spec features document (features.md).

load helpers

@test "features: prints a valid features document" {
	run nook features
	assert_success
	echo "$output" | jq -e '
		(.ociVersionMin | type == "string" and startswith("1."))
		and (.ociVersionMax | type == "string" and startswith("1."))'
	# ociVersionMax is at least 1.0.2 (the version containerd 1.6 writes).
	max=$(echo "$output" | jq -r .ociVersionMax)
	printf '%s\n' 1.0.2 "$max" | sort -V -C
}

@test "features: lists the namespaces implemented" {
	run nook features
	assert_success
	for ns in pid mount ipc uts network cgroup; do
		echo "$output" | jq -e --arg ns "$ns" '.linux.namespaces | index($ns) != null' ||
			fail "namespace $ns missing from features"
	done
}

@test "features: lists the capabilities and mount options it knows" {
	run nook features
	assert_success
	for cap in CAP_CHOWN CAP_KILL CAP_NET_RAW CAP_SYS_ADMIN CAP_NET_BIND_SERVICE; do
		echo "$output" | jq -e --arg c "$cap" '.linux.capabilities | index($c) != null' ||
			fail "capability $cap missing from features"
	done
	for opt in bind rbind ro rw nosuid nodev noexec relatime private rprivate; do
		echo "$output" | jq -e --arg o "$opt" '.mountOptions | index($o) != null' ||
			fail "mount option $opt missing from features"
	done
}

@test "features: reports cgroup v1 support (this host is hybrid)" {
	run nook features
	assert_success
	echo "$output" | jq -e '.linux.cgroup.v1 == true'
}

@test "features: every hook kind nook runs is listed" {
	run nook features
	assert_success
	echo "$output" | jq -e '.hooks == ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]'
}

@test "features: the systemd cgroup driver is reported, a user's own manager is not" {
	run nook features
	assert_success
	jq -e '.linux.cgroup.systemd == true and .linux.cgroup.systemdUser == false' <<<"$output"
}

@test "features: checkpoint/restore support and the version of the CRIU nook would use" {
	local want
	want=$(criu --version | awk '/^Version:/ {print $2}')
	run nook features
	assert_success
	jq -e --arg v "$want" '.annotations["run.oci.nook.checkpoint-restore"] == "true"
		and .annotations["run.oci.nook.criu-version"] == $v' <<<"$output" || fail "$output"
	# no CRIU: no support, no version
	NOOK_CRIU=/nonexistent/criu run nook features
	assert_success
	jq -e '.annotations["run.oci.nook.checkpoint-restore"] == "false"
		and (.annotations | has("run.oci.nook.criu-version") | not)' <<<"$output" || fail "$output"
	# a CRIU older than 4.1 (bookworm's 3.17, when its package is installed)
	if [ -x /usr/sbin/criu ] && /usr/sbin/criu --version | grep -q '^Version: 3\.'; then
		want=$(/usr/sbin/criu --version | awk '/^Version:/ {print $2}')
		NOOK_CRIU=/usr/sbin/criu run nook features
		assert_success
		jq -e --arg v "$want" '.annotations["run.oci.nook.checkpoint-restore"] == "false"
			and .annotations["run.oci.nook.criu-version"] == $v' <<<"$output" || fail "$output"
	fi
}

@test "features: lazy pages are reported as CRIU's page server could have them here" {
	# without CAP_SYS_RESOURCE (as here): the pipe limit decides
	set_pipe_max_size 1048576
	run setpriv --inh-caps -sys_resource --bounding-set -sys_resource \
		"$NOOK_BINARY" --root "$ROOT" features
	assert_success
	jq -e '.annotations["run.oci.nook.criu-lazy-pages"]
		== "false: needs sysctl fs.pipe-max-size=4194304"' <<<"$output" || fail "$output"
	set_pipe_max_size 4194304
	run setpriv --inh-caps -sys_resource --bounding-set -sys_resource \
		"$NOOK_BINARY" --root "$ROOT" features
	assert_success
	jq -e '.annotations["run.oci.nook.criu-lazy-pages"] == "true"' <<<"$output" || fail "$output"
}
