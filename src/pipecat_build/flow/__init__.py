"""From folder to running agent, one step per module, in the order a run takes them:
`pack` → `reuse` → `upload` → `create` → `follow` → `deploy`; `target` sequences them for
one target and `job` (beside this package) runs every target of a step."""
