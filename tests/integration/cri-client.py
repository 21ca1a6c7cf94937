#!/usr/bin/python3
"""A small CRI client (the subset of crictl the tests need), speaking
runtime.v1 over containerd's unix socket as the kubelet does.

  cri-client.py --address SOCK [--gen-dir DIR] COMMAND ...

The protobuf module is compiled from cri.proto (next to this file) with
`protoc --python_out` into --gen-dir (default: $NOOK_CRI_GEN_DIR, else a
temporary directory removed at exit).  Needs Debian's python3-grpcio,
python3-protobuf and python3-websocket (run it with /usr/bin/python3) and
protobuf-compiler.

Commands (ids and JSON on stdout; errors on stderr as
"cri-client: METHOD: message", exit status 1):

  version
  runp --name N [--handler H] [--cgroup-parent P] [--log-dir D]
       [--config-out FILE]                       -> pod id
  stopp POD / rmp POD
  inspectp POD                                   -> {"state", "runtime_handler", "info"}
  pods                                           -> pod ids
  create POD --pod-config FILE --name N --image IMG [--log-path REL]
       [--cap-add CAP] [--memory BYTES] [--tty] -- CMD ARG...   -> container id
  start C / stop C [--timeout S] / rm C
  inspect C                                      -> {"state", "exit_code", "log_path", ...}
  ps [--pod POD]                                 -> container ids
  exec C [--timeout S] -- CMD ARG...             -> the command's stdout/stderr
                                                    and exit status (ExecSync)
  exec-stream C [--tty] [--stdin TEXT] [--reply TEXT] -- CMD ARG...
                                                 -> the same through Exec and
                                                    the streaming server, as
                                                    `kubectl exec` does
  logs C                                         -> the messages of the
                                                    container's CRI log file
  images                                         -> image names
  bench [--scenario container|pod] --pod-config NAME=FILE [--pod NAME=POD]...
        --image IMG --rounds N [--warmup W] --out DIR [CMD...]
       container: CreateContainer + StartContainer until CONTAINER_RUNNING
       in the existing pod NAME; pod: RunPodSandbox (handler NAME) + the
       same.  Interleaved across the NAMEs; one file of microseconds per
       NAME in DIR; containers and pods are removed untimed.
"""

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import grpc
from google.protobuf import json_format

HERE = os.path.dirname(os.path.abspath(__file__))
pb = None  # the generated cri_pb2 module


def load_proto(gen_dir):
    """Compile cri.proto into gen_dir (once: protoc output is renamed into
    place, so concurrent clients see a whole file) and import it."""
    global pb
    target = os.path.join(gen_dir, "cri_pb2.py")
    if not os.path.exists(target):
        os.makedirs(gen_dir, exist_ok=True)
        tmp = tempfile.mkdtemp(dir=gen_dir)
        try:
            subprocess.run(["protoc", "-I", HERE, "--python_out", tmp,
                            os.path.join(HERE, "cri.proto")], check=True)
            os.rename(os.path.join(tmp, "cri_pb2.py"), target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    sys.path.insert(0, gen_dir)
    import cri_pb2
    pb = cri_pb2


class Client:
    def __init__(self, address, timeout):
        self.channel = grpc.insecure_channel("unix://" + address)
        self.timeout = timeout

    def call(self, service, method, request, reply_type):
        rpc = self.channel.unary_unary(
            "/runtime.v1.%s/%s" % (service, method),
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=reply_type.FromString)
        try:
            return rpc(request, timeout=self.timeout)
        except grpc.RpcError as e:
            raise CriError(method, e.details() or str(e.code()))

    def rt(self, method, request):
        reply = getattr(pb, method + "Response")
        return self.call("RuntimeService", method, request, reply)


class CriError(Exception):
    def __init__(self, method, message):
        super().__init__("%s: %s" % (method, message))


def pod_config(args):
    network = pb.POD if args.network == "pod" else pb.NODE
    ns = pb.NamespaceOption(network=network, pid=pb.CONTAINER, ipc=pb.POD)
    cfg = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=args.name, uid=args.uid or args.name,
                                       namespace=args.namespace, attempt=0),
        hostname=args.hostname or "",
        log_directory=args.log_dir or "",
        linux=pb.LinuxPodSandboxConfig(
            cgroup_parent=args.cgroup_parent or "",
            security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns)))
    return cfg


def read_pod_config(path):
    with open(path) as f:
        return json_format.Parse(f.read(), pb.PodSandboxConfig())


def container_config(args, pod_cfg):
    sc = pb.LinuxContainerSecurityContext(
        capabilities=pb.Capability(add_capabilities=args.cap_add or []),
        namespace_options=pod_cfg.linux.security_context.namespace_options)
    cfg = pb.ContainerConfig(
        metadata=pb.ContainerMetadata(name=args.name, attempt=0),
        image=pb.ImageSpec(image=args.image),
        command=args.cmd,
        log_path=args.log_path or (args.name + ".log"),
        tty=args.tty,
        linux=pb.LinuxContainerConfig(
            resources=pb.LinuxContainerResources(memory_limit_in_bytes=args.memory or 0),
            security_context=sc))
    return cfg


STATE_NAMES = {0: "CONTAINER_CREATED", 1: "CONTAINER_RUNNING",
               2: "CONTAINER_EXITED", 3: "CONTAINER_UNKNOWN"}


def cmd_version(c, args):
    v = c.rt("Version", pb.VersionRequest(version="v1"))
    print(json.dumps({"version": v.version, "runtime_name": v.runtime_name,
                      "runtime_version": v.runtime_version,
                      "runtime_api_version": v.runtime_api_version}))


def cmd_runp(c, args):
    cfg = pod_config(args)
    if args.config_out:
        with open(args.config_out, "w") as f:
            f.write(json_format.MessageToJson(cfg))
    r = c.rt("RunPodSandbox", pb.RunPodSandboxRequest(config=cfg,
                                                      runtime_handler=args.handler or ""))
    print(r.pod_sandbox_id)


def cmd_stopp(c, args):
    c.rt("StopPodSandbox", pb.StopPodSandboxRequest(pod_sandbox_id=args.id))


def cmd_rmp(c, args):
    c.rt("RemovePodSandbox", pb.RemovePodSandboxRequest(pod_sandbox_id=args.id))


def cmd_inspectp(c, args):
    r = c.rt("PodSandboxStatus", pb.PodSandboxStatusRequest(pod_sandbox_id=args.id, verbose=True))
    info = json.loads(r.info["info"]) if "info" in r.info else {}
    print(json.dumps({
        "id": r.status.id,
        "state": pb.PodSandboxState.Name(r.status.state),
        # containerd 1.6 reports the handler in the verbose info only
        "runtime_handler": r.status.runtime_handler or info.get("runtimeHandler", ""),
        "ip": r.status.network.ip,
        "info": info}))


def cmd_pods(c, args):
    r = c.rt("ListPodSandbox", pb.ListPodSandboxRequest())
    for p in r.items:
        print(p.id)


def cmd_create(c, args):
    pod_cfg = read_pod_config(args.pod_config)
    r = c.rt("CreateContainer", pb.CreateContainerRequest(
        pod_sandbox_id=args.pod, config=container_config(args, pod_cfg), sandbox_config=pod_cfg))
    print(r.container_id)


def cmd_start(c, args):
    c.rt("StartContainer", pb.StartContainerRequest(container_id=args.id))


def cmd_stop(c, args):
    c.rt("StopContainer", pb.StopContainerRequest(container_id=args.id, timeout=args.timeout))


def cmd_rm(c, args):
    c.rt("RemoveContainer", pb.RemoveContainerRequest(container_id=args.id))


def container_status(c, cid, verbose=False):
    return c.rt("ContainerStatus", pb.ContainerStatusRequest(container_id=cid, verbose=verbose))


def cmd_inspect(c, args):
    r = container_status(c, args.id, verbose=True)
    s = r.status
    info = json.loads(r.info["info"]) if "info" in r.info else {}
    print(json.dumps({
        "id": s.id, "name": s.metadata.name, "state": STATE_NAMES.get(s.state, str(s.state)),
        "exit_code": s.exit_code, "reason": s.reason, "message": s.message,
        "log_path": s.log_path, "image": s.image.image,
        "runtime_type": info.get("runtimeType", ""),
        "runtime_options": info.get("runtimeOptions", {}),
        "pid": info.get("pid", 0)}))


def cmd_ps(c, args):
    f = pb.ContainerFilter(pod_sandbox_id=args.pod or "")
    r = c.rt("ListContainers", pb.ListContainersRequest(filter=f))
    for ct in r.containers:
        print(ct.id)


def cmd_exec(c, args):
    r = c.rt("ExecSync", pb.ExecSyncRequest(container_id=args.id, cmd=args.cmd,
                                            timeout=args.timeout))
    sys.stdout.buffer.write(r.stdout)
    sys.stdout.flush()
    sys.stderr.buffer.write(r.stderr)
    sys.stderr.flush()
    return r.exit_code


def exit_code_of(status):
    """The exit code in the v4.channel.k8s.io status message (a Kubernetes
    Status: Success, or Failure with a cause of reason ExitCode)."""
    if status is None:
        raise CriError("Exec", "the stream closed without a status message")
    if status.get("status") == "Success":
        return 0
    for cause in status.get("details", {}).get("causes", []):
        if cause.get("reason") == "ExitCode":
            return int(cause["message"])
    raise CriError("Exec", "failed: %s" % status.get("message", status))


def cmd_exec_stream(c, args):
    """Exec as the kubelet serves `kubectl exec`: the CRI Exec call returns a
    URL on containerd's streaming server, and the streams go over a websocket
    in the channel.k8s.io framing (the first byte of each message is its
    channel: 0 stdin, 1 stdout, 2 stderr, 3 the exit status)."""
    import websocket

    r = c.rt("Exec", pb.ExecRequest(container_id=args.id, cmd=args.cmd, tty=args.tty,
                                    stdin=args.stdin is not None or args.reply is not None,
                                    stdout=True,
                                    stderr=not args.tty))
    url = r.url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    try:
        ws = websocket.create_connection(url, subprotocols=["v4.channel.k8s.io"],
                                         timeout=args.timeout)
    except (OSError, websocket.WebSocketException) as e:
        raise CriError("Exec", "connect to %s: %s" % (url, e))
    status = None
    try:
        if args.stdin is not None:
            ws.send_binary(b"\0" + args.stdin.encode())
        while True:
            opcode, data = ws.recv_data()
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
            if len(data) < 2:
                continue  # a channel's opening message carries no data
            out = {1: sys.stdout, 2: sys.stderr}.get(data[0])
            if out:
                out.buffer.write(data[1:])
                out.flush()
                if args.reply is not None:
                    ws.send_binary(b"\0" + args.reply.encode())
                    args.reply = None
            elif data[0] == 3:
                status = json.loads(data[1:])
    except websocket.WebSocketConnectionClosedException:
        pass
    except (OSError, websocket.WebSocketException) as e:
        raise CriError("Exec", "stream from %s: %s" % (url, e))
    finally:
        ws.close()
    return exit_code_of(status)


def cmd_logs(c, args):
    """CRI log lines are `TIMESTAMP STREAM P|F MESSAGE`: a P(artial) line
    continues on the next one."""
    path = container_status(c, args.id).status.log_path
    if not path:
        raise CriError("logs", "container %s has no log path" % args.id)
    out = {"stdout": sys.stdout.buffer, "stderr": sys.stderr.buffer}
    with open(path, "rb") as f:
        for line in f:
            parts = line.rstrip(b"\n").split(b" ", 3)
            if len(parts) < 3:
                continue
            stream = out.get(parts[1].decode(), sys.stdout.buffer)
            msg = parts[3] if len(parts) > 3 else b""
            stream.write(msg + (b"" if parts[2] == b"P" else b"\n"))
    sys.stdout.flush()


def cmd_images(c, args):
    r = c.call("ImageService", "ListImages", pb.ListImagesRequest(), pb.ListImagesResponse)
    for img in r.images:
        for tag in img.repo_tags:
            print(tag)


def wait_running(c, cid, deadline):
    while True:
        st = container_status(c, cid).status.state
        if st == pb.CONTAINER_RUNNING:
            return
        if st != pb.CONTAINER_CREATED or time.monotonic() > deadline:
            raise CriError("bench", "container %s: state %s" % (cid, STATE_NAMES.get(st)))


def bench_container(c, pod_id, cfg, name, image, cmd):
    """CreateContainer + StartContainer until CONTAINER_RUNNING in an
    existing pod: returns (microseconds, container id)."""
    ns = argparse.Namespace(name=name, image=image, cmd=cmd, log_path=None, tty=False,
                            cap_add=None, memory=None)
    req = pb.CreateContainerRequest(pod_sandbox_id=pod_id, config=container_config(ns, cfg),
                                    sandbox_config=cfg)
    t0 = time.monotonic()
    cid = c.rt("CreateContainer", req).container_id
    c.rt("StartContainer", pb.StartContainerRequest(container_id=cid))
    wait_running(c, cid, t0 + 30)
    return int((time.monotonic() - t0) * 1e6), cid


def remove_container(c, cid):
    c.rt("StopContainer", pb.StopContainerRequest(container_id=cid, timeout=0))
    c.rt("RemoveContainer", pb.RemoveContainerRequest(container_id=cid))


def remove_pod(c, pod_id):
    c.rt("StopPodSandbox", pb.StopPodSandboxRequest(pod_sandbox_id=pod_id))
    c.rt("RemovePodSandbox", pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id))


def bench_one(c, args, name, i, pods, cfgs):
    cname = "b-%s-%d" % (name, i)
    if args.scenario == "container":
        us, cid = bench_container(c, pods[name], cfgs[name], cname, args.image, args.cmd)
        remove_container(c, cid)
        return us
    # "pod": RunPodSandbox with the handler NAME, then the container
    cfg = pb.PodSandboxConfig()
    cfg.CopyFrom(cfgs[name])
    cfg.metadata.name = cfg.metadata.uid = "%s-p%d" % (cfgs[name].metadata.name, i)
    t0 = time.monotonic()
    pod_id = c.rt("RunPodSandbox", pb.RunPodSandboxRequest(config=cfg,
                                                           runtime_handler=name)).pod_sandbox_id
    us, cid = bench_container(c, pod_id, cfg, cname, args.image, args.cmd)
    us = int((time.monotonic() - t0) * 1e6)
    remove_container(c, cid)
    remove_pod(c, pod_id)
    return us


def cmd_bench(c, args):
    """Interleaved rounds: each round measures every NAME once, cycling
    through every order of the names, so each follows each other equally
    often (what one leaves behind is paid by the next: see round_order in
    bench/lib.sh)."""
    cfgs = {k: read_pod_config(v) for k, v in (p.split("=", 1) for p in args.pod_config)}
    pods = dict(p.split("=", 1) for p in args.pod or [])
    names = list(cfgs)
    samples = {n: [] for n in names}
    total = args.warmup + args.rounds
    orders = list(itertools.permutations(names))
    for i in range(total):
        for name in orders[i % len(orders)]:
            us = bench_one(c, args, name, i, pods, cfgs)
            if i >= args.warmup:
                samples[name].append(us)
        if sys.stderr.isatty():
            sys.stderr.write("\r%s round %d/%d" % (args.scenario, i + 1, total))
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    os.makedirs(args.out, exist_ok=True)
    for n in names:
        with open(os.path.join(args.out, n), "w") as f:
            f.write("".join("%d\n" % v for v in samples[n]))


def parser():
    p = argparse.ArgumentParser(prog="cri-client.py")
    p.add_argument("--address", required=True, help="containerd's grpc socket")
    p.add_argument("--gen-dir", default=os.environ.get("NOOK_CRI_GEN_DIR"))
    p.add_argument("--timeout", type=float, default=60, help="seconds per call")
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("version")
    s = sub.add_parser("runp")
    s.add_argument("--name", required=True)
    s.add_argument("--uid")
    s.add_argument("--namespace", default="nook-test")
    s.add_argument("--hostname")
    s.add_argument("--handler")
    s.add_argument("--cgroup-parent")
    s.add_argument("--log-dir")
    s.add_argument("--config-out")
    s.add_argument("--network", choices=["node", "pod"], default="node",
                   help="node: the host's network namespace; pod: its own, set up by CNI")
    for name in ("stopp", "rmp", "inspectp", "start", "rm", "inspect"):
        sub.add_parser(name).add_argument("id")
    sub.add_parser("pods")
    s = sub.add_parser("create")
    s.add_argument("pod")
    s.add_argument("--pod-config", required=True)
    s.add_argument("--name", required=True)
    s.add_argument("--image", required=True)
    s.add_argument("--log-path")
    s.add_argument("--cap-add", action="append")
    s.add_argument("--memory", type=int)
    s.add_argument("--tty", action="store_true")
    s.add_argument("cmd", nargs="+")
    s = sub.add_parser("stop")
    s.add_argument("id")
    s.add_argument("--timeout", type=int, default=10)
    s = sub.add_parser("ps")
    s.add_argument("--pod")
    s = sub.add_parser("exec")
    s.add_argument("id")
    s.add_argument("--timeout", type=int, default=30)
    s.add_argument("cmd", nargs="+")
    s = sub.add_parser("exec-stream")
    s.add_argument("id")
    s.add_argument("--tty", action="store_true")
    s.add_argument("--stdin", help="sent to the command's stdin (which is not closed)")
    s.add_argument("--reply", help="sent to stdin once the first output has come")
    s.add_argument("--timeout", type=float, default=30, help="seconds without a message")
    s.add_argument("cmd", nargs="+")
    sub.add_parser("logs").add_argument("id")
    sub.add_parser("images")
    s = sub.add_parser("bench")
    s.add_argument("--scenario", choices=("container", "pod"), default="container")
    s.add_argument("--pod", action="append", help="NAME=POD_ID (scenario container)")
    s.add_argument("--pod-config", action="append", required=True,
                   help="NAME=FILE; NAME is also the runtime handler (scenario pod)")
    s.add_argument("--image", required=True)
    s.add_argument("--rounds", type=int, default=30)
    s.add_argument("--warmup", type=int, default=3)
    s.add_argument("--out", required=True)
    s.add_argument("cmd", nargs="*", default=["sleep", "1000"])
    return p


def main():
    args = parser().parse_args()
    gen_dir = args.gen_dir
    cleanup = None
    if not gen_dir:
        gen_dir = cleanup = tempfile.mkdtemp(prefix="cri-client.")
    try:
        load_proto(gen_dir)
        c = Client(args.address, args.timeout)
        rc = globals()["cmd_" + args.command.replace("-", "_")](c, args)
        return rc or 0
    except CriError as e:
        print("cri-client: %s" % e, file=sys.stderr)
        return 1
    finally:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
