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
