"""The module registry: every name in it imports, in order; a misspelt one fails loudly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nexa import modules


def test_a_misspelt_module_fails_loudly_naming_its_group(monkeypatch: pytest.MonkeyPatch) -> None:
    misspelt = (*modules.JOBS, "nexa.scoring.jbos")
    monkeypatch.setitem(modules.GROUPS, "JOBS", misspelt)
    with pytest.raises(modules.MissingModule) as caught:
        modules.load(misspelt)
    assert str(caught.value) == (
        "module 'nexa.scoring.jbos' does not exist (listed in nexa.modules.JOBS)"
    )
    with pytest.raises(
        modules.MissingModule, match=r"^module 'nexa\.no_such_domain\.service' does not exist$"
    ):
        modules.load(["nexa.no_such_domain.service"])


def test_a_module_whose_own_import_is_missing_raises_that_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "nexa_registry_probe.py").write_text("import nexa_not_installed_anywhere\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(ModuleNotFoundError) as caught:
            modules.load(["nexa_registry_probe"])
        assert not isinstance(caught.value, modules.MissingModule)
        assert caught.value.name == "nexa_not_installed_anywhere"
    finally:
        sys.modules.pop("nexa_registry_probe", None)


def test_every_registered_module_loads_in_order() -> None:
    for group, names in modules.GROUPS.items():
        assert len(set(names)) == len(names), f"{group} lists a module twice"
        loaded = modules.load(names)
        assert [m.__name__ for m in loaded] == list(names)
    for names in (modules.API_ROUTERS, modules.PUBLIC_ROUTERS, modules.WEB_PAGES):
        assert all(router is not None for router in modules.routers(names))


def test_the_install_order_puts_enrichment_then_scoring_then_routing() -> None:
    order = [name for name in modules.INSTALL if name.endswith(".subscribers")]
    intelligence = [n for n in order if n.split(".")[1] in {"enrichment", "scoring", "routing"}]
    assert intelligence == [
        "nexa.enrichment.subscribers",
        "nexa.scoring.subscribers",
        "nexa.routing.subscribers",
    ]
