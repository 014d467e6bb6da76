"""The deploy files parse, and every FIRESIDE_* name in them is a real setting (a typo there would be a bot
that ignores its configuration). Each passes its validator: hadolint, the Compose specification, and
kubernetes-validate against Kubernetes 1.37. The containers themselves are not built here: no Docker engine."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.settings import load_settings, unknown_env_names

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _names(text: str) -> set[str]:
    return set(re.findall(r"\bFIRESIDE_[A-Z0-9_]+", text))


def test_yaml_files_parse() -> None:
    yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    docs = list(yaml.safe_load_all((DEPLOY / "k8s" / "fireside.yaml").read_text()))
    assert {d["kind"] for d in docs} == {"Secret", "ConfigMap", "Deployment", "StatefulSet", "Service",
                                         "PersistentVolumeClaim"}


def test_every_bot_replica_reads_the_same_imported_personas_and_lorebooks() -> None:
    docs = list(yaml.safe_load_all((DEPLOY / "k8s" / "fireside.yaml").read_text()))
    bot = next(d for d in docs if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "fireside-bot")
    pod = bot["spec"]["template"]["spec"]
    [shared] = [v for v in pod["volumes"] if "persistentVolumeClaim" in v]
    claim = next(d for d in docs if d["kind"] == "PersistentVolumeClaim"
                 and d["metadata"]["name"] == shared["persistentVolumeClaim"]["claimName"])
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]  # one volume, every replica
    mounts = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"] if m["name"] == shared["name"]}
    assert {"/data/personas", "/data/lorebooks"} <= mounts  # where `fireside persona/lorebook import` write


def test_the_bot_replicas_split_the_discord_shards_by_their_ordinal() -> None:
    """Each StatefulSet pod's settings (the ConfigMap and its pod index) give it its own shards, and together
    the replicas run every shard exactly once."""
    docs = list(yaml.safe_load_all((DEPLOY / "k8s" / "fireside.yaml").read_text()))
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    bot = next(d for d in docs if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "fireside-bot")
    [container] = bot["spec"]["template"]["spec"]["containers"]
    [ordinal] = [e for e in container["env"] if e["name"] == "FIRESIDE_DISCORD__REPLICA"]
    assert ordinal["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['apps.kubernetes.io/pod-index']"
    replicas = bot["spec"]["replicas"]
    assert int(config["FIRESIDE_DISCORD__REPLICAS"]) == replicas
    count = int(config["FIRESIDE_DISCORD__SHARD_COUNT"])
    runs = [load_settings(discord={"shard_count": count, "replicas": replicas, "replica": i}).discord.shard_ids
            for i in range(replicas)]
    assert sorted(s for ids in runs for s in ids or []) == list(range(count))
    assert all(runs)


def test_every_setting_named_in_deploy_is_real() -> None:
    names: set[str] = set()
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            names |= _names(path.read_text())
    assert names, "the deploy files name no settings at all?"
    assert unknown_env_names({n: "" for n in names}) == []
    assert "FIRESIDE_DISCORD__TOKEN" in names and "FIRESIDE_LLM__BASE_URL" in names


def test_secrets_are_not_committed() -> None:
    example = (DEPLOY / "fireside.env.example").read_text()
    assert re.search(r"FIRESIDE_DISCORD__TOKEN=\S", example) is None
    assert not (DEPLOY / "fireside.env").exists()


def _tool(name: str) -> str:
    """A validator installed with the dev tools (scripts/setup), beside this Python."""
    path = Path(sys.executable).with_name(name)
    assert path.exists(), f"{name} is missing: scripts/setup installs it with the dev tools"
    return str(path)


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "Dockerfile.model"])
def test_dockerfiles_pass_hadolint_and_run_as_a_numeric_non_root_user(dockerfile: str) -> None:
    result = _run(_tool("hadolint"), "--no-color", str(DEPLOY / dockerfile))
    assert result.returncode == 0, result.stdout + result.stderr
    users = re.findall(r"(?m)^USER\s+(\S+)", (DEPLOY / dockerfile).read_text())
    assert users and users[-1].isdigit() and users[-1] != "0"


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    result = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(DEPLOY / "compose.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_manifests_are_valid_for_a_current_kubernetes() -> None:
    result = _run(_tool("kubernetes-validate"), "--strict", "-k", "1.37.0", *map(str, (DEPLOY / "k8s").glob("*.yaml")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validators_do_fail_a_broken_file(tmp_path: Path) -> None:
    bad_docker = tmp_path / "Dockerfile"
    bad_docker.write_text("FROM python\nRUN cd /tmp && apt-get install curl\n")
    assert _run(_tool("hadolint"), "--no-color", str(bad_docker)).returncode != 0
    bad_compose = tmp_path / "compose.yaml"
    bad_compose.write_text("services:\n  bot:\n    restart: sometimes\n    ports: 8000\n")
    assert _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(bad_compose)).returncode
    bad_k8s = tmp_path / "k8s.yaml"
    bad_k8s.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: two}\n")
    assert _run(_tool("kubernetes-validate"), "--strict", "-k", "1.37.0", str(bad_k8s)).returncode
