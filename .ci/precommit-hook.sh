#!/usr/bin/env bash
# The pre-commit hook as shipped, two ways:
# 1. `pre-commit try-repo`: pre-commit installs cnncalc from this working tree and runs hook
#    `cnncalc-check` on a good and a bad file given by name.
# 2. The docs' snippet (a `repo: local` hook on the installed command), copied as is into the
#    `.pre-commit-config.yaml` of a scratch repository that also has a GitHub workflow:
#    `pre-commit run --all-files` passes with good architecture files and fails on a bad one.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
git_quiet() { git -c user.name=ci -c user.email=ci@localhost -c init.defaultBranch=main "$@"; }

# --- 1. try-repo on named files -----------------------------------------------------------------
mkdir "$scratch/named" && cd "$scratch/named"
git_quiet init -q
cp "$repo/specs/vgg16.yaml" good.yaml
printf 'input: [8, 8, 3]\nlayers:\n  - convv: 8\n' > bad.yaml
git add good.yaml bad.yaml
pre-commit try-repo "$repo" cnncalc-check --files good.yaml > good.log 2>&1 || { cat good.log; exit 1; }
if pre-commit try-repo "$repo" cnncalc-check --files good.yaml bad.yaml > bad.log 2>&1; then
  cat bad.log; echo "the hook passed a bad file"; exit 1
fi
grep -q 'bad.yaml' bad.log && grep -q 'unknown layer kind `convv` (did you mean "conv"?)' bad.log \
  || { cat bad.log; echo "the hook did not report the bad file"; exit 1; }
echo "pre-commit try-repo cnncalc-check: passes a good file, fails a bad one with its message"

# --- 2. the README's snippet, as is -------------------------------------------------------------
# The first ```yaml block of docs/commands.md that names the hook.
python3 - "$repo/docs/commands.md" > "$scratch/snippet.yaml" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
blocks = [b for b in re.findall(r"^```yaml\n(.*?)^```$", text, re.M | re.S) if "id: cnncalc-check" in b]
if not blocks:
    sys.exit("docs/commands.md has no ```yaml block with `id: cnncalc-check`")
sys.stdout.write(blocks[0])
PY
grep -q "repo: local" "$scratch/snippet.yaml" || { echo "the snippet is not a local hook"; exit 1; }
command -v cnncalc > /dev/null || { echo "the snippet runs the installed cnncalc: install it first"; exit 1; }

mkdir "$scratch/user" && cd "$scratch/user"
git_quiet init -q
cp "$scratch/snippet.yaml" .pre-commit-config.yaml
mkdir -p .github/workflows models
cat > .github/workflows/ci.yml <<'YAML'
name: ci
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pipx run pre-commit run --all-files
YAML
cp "$repo/specs/vgg16.yaml" models/vgg16.yaml
cp "$repo/specs/resnet18.yaml" models/resnet18.yml
git add -A
pre-commit run --all-files > good.log 2>&1 || { cat good.log; echo "the README snippet fails on good files"; exit 1; }
grep -q 'cnncalc check.*Passed' good.log || { cat good.log; echo "the hook did not run"; exit 1; }
printf 'input: [8, 8, 3]\nlayers:\n  - convv: 8\n' > models/bad.yaml
git add models/bad.yaml
if pre-commit run --all-files > bad.log 2>&1; then
  cat bad.log; echo "the README snippet passed a bad file"; exit 1
fi
# Three files reach cnncalc (the workflow and the pre-commit config do not), and the bad one fails.
grep -q 'models/bad.yaml' bad.log && grep -q 'unknown layer kind `convv`' bad.log \
  && grep -q '3 files checked' bad.log && ! grep -q -e '\.github' -e '\.pre-commit-config' bad.log \
  || { cat bad.log; echo "the hook did not report only the bad file"; exit 1; }
echo "the docs' pre-commit snippet, as written: passes good files beside a workflow and a pre-commit config, fails a bad one"
