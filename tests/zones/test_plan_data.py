"""The loaded plan checked against the source text itself, independently of the parser."""

import re

import pytest

from measures.models import Task, TaskCategory
from tests.conftest import squash
from zones.models import Agency, Block, SubPlot, Zone

pytestmark = pytest.mark.django_db


def test_tasks_per_zone():
    counts = {zone.code: zone.tasks.count() for zone in Zone.objects.all()}
    assert counts == {"xiqing": 12, "wuqing": 9, "beichen": 9, "ziya": 16, "dongli": 12}
    assert Task.objects.count() == 58
    assert TaskCategory.objects.count() == 22


def test_every_task_text_is_in_the_source(plain_source):
    for task in Task.objects.all():
        assert squash(task.text) in plain_source, task.source_ref
        assert task.text.startswith(task.title), task.source_ref
        # The numbered paragraph in the source begins with this task's number and lead sentence.
        assert f"{task.number}.{squash(task.title)}" in plain_source, task.source_ref


def test_every_task_text_runs_to_its_agency_list(plain_source):
    for task in Task.objects.all():
        assert squash(task.text + task.agencies_text) in plain_source, task.source_ref


def test_agencies_in_the_plans_order(source_text):
    # Read each agency list straight from the source with a separate regex.
    flat = re.sub(r"\s+", "", source_text)
    lists = re.findall(
        r"[（(]支持单位[：:](.*?)[）)](?:。)?(?=\d+\.|[（(][一二三四五六七八九十]+[）)]|三、|$)", flat
    )
    tasks = list(Task.objects.order_by("zone__annex_number", "number").with_agencies())
    assert len(lists) == len(tasks) == 58
    for written, task in zip(lists, tasks, strict=True):
        names = [Agency.objects.resolve(name).name for name in re.split(r"[、，,]", written)]
        assert [agency.name for agency in task.ordered_agencies] == names, task.source_ref


def test_alias_resolves_to_one_agency():
    cyber = Agency.objects.get(name="市委网信办")
    assert Agency.objects.resolve("市网信办") == cyber
    assert Agency.objects.filter(name="市网信办").count() == 0
    xiqing6 = Task.objects.get(zone__code="xiqing", number=6)
    assert cyber in xiqing6.ordered_agencies
    assert "市网信办" in xiqing6.agencies_text  # as written stays as written
    assert Agency.objects.count() == 32
    assert not Agency.objects.filter(name_en="").exists()


def test_block_areas_and_plots():
    areas = {
        zone.code: [str(area) for area in zone.blocks.order_by("number").values_list("area_km2", flat=True)]
        for zone in Zone.objects.all()
    }
    assert areas["dongli"] == ["8.06", "0.71", "7.66", "1.20", "3.31"]
    assert areas["wuqing"] == ["36.88", "0.90"]
    assert Block.objects.count() == 24
    plots = {
        (plot.block.zone.code, plot.block.number, plot.number)
        for plot in SubPlot.objects.select_related("block__zone")
    }
    assert plots == {
        ("dongli", 2, 1),
        ("dongli", 2, 2),
        ("dongli", 3, 1),
        ("dongli", 3, 2),
        ("dongli", 3, 3),
        ("dongli", 5, 1),
        ("dongli", 5, 2),
    }


def test_area_flag():
    zones = {zone.code: zone for zone in Zone.objects.with_totals()}
    assert [code for code, zone in zones.items() if zone.area_mismatch] == ["beichen"]
    assert str(zones["beichen"].area_km2) == "49.75"
    assert str(zones["beichen"].summed_area) == "49.74"
    assert str(zones["beichen"].area_difference) == "0.01"


def test_english_names_and_titles():
    names = dict(Zone.objects.values_list("code", "name_en"))
    assert names["xiqing"] == "Xiqing Economic and Technological Development Zone"
    assert names["ziya"] == "Ziya Economic and Technological Development Zone"
    assert not Task.objects.filter(title_en="").exists()
    assert not TaskCategory.objects.filter(title_en="").exists()


def test_source_references():
    refs = set(Task.objects.values_list("source_ref", flat=True))
    assert "附件3 二（二）第5项" in refs
    assert "附件1 二（一）第1项" in refs
    assert len(refs) == 58
