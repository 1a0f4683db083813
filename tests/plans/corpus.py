"""Documents made from the 003 source the way offices hand them over: other encodings, Word,
page furniture, other numbering and bracket styles. Each should read as the source does."""

import io
import re

from tests.conftest import squash

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
TASK_LINE_RE = re.compile(r"^(\*\*)?(\d{1,2})\. ", re.M)


def summary(parsed):
    """What an import must get right: zones, areas, blocks, categories, tasks and their agencies."""
    return [
        (
            zone.code,
            zone.name,
            zone.area,
            [(block.name, block.area, len(block.subplots)) for block in zone.blocks],
            [
                (
                    squash(category.title),
                    [(squash(task.title), squash(task.text), task.agencies) for task in category.tasks],
                )
                for category in zone.categories
            ],
        )
        for zone in parsed.zones
    ]


def counts(parsed):
    return (
        len(parsed.zones),
        sum(len(zone.blocks) for zone in parsed.zones),
        sum(len(zone.categories) for zone in parsed.zones),
        sum(len(zone.tasks) for zone in parsed.zones),
    )


def with_page_furniture(text, every=23, header="第二批天津自贸试验区联动创新区建设方案（征求意见稿）"):
    """Page numbers in three styles and a running header every `every` lines, as a PDF leaves them."""
    lines = text.split("\n")
    pages = (len(lines) + every - 1) // every
    out = []
    for index, line in enumerate(lines):
        if index and index % every == 0:
            page = index // every
            style = page % 3
            out.append(
                f"— {page} —"
                if style == 0
                else f"第 {page} 页 共 {pages} 页"
                if style == 1
                else f"- {page} -"
            )
            out.append(header)
        out.append(line)
    return "\n".join(out)


def with_invisible_characters(text):
    """Zero-width spaces, NBSPs and a stray BOM where a copy from a web page leaves them."""
    text = text.replace("西青", "西\u200b青", 3).replace("市商务局", "市商务局\u200b")
    text = text.replace("区块一：", "区块一：\u00a0").replace("附件 2", "附件\u00a02")
    return "\ufeff" + text.replace("\n二、主要任务", "\n\u200d二、主要任务")


def renumbered(text, style):
    """Task numbers as 1、 （1） ① or full-width １．; bold kept where the source has it."""

    def number(match):
        bold, value = match.group(1) or "", int(match.group(2))
        if style == "dun":
            written = f"{value}、"
        elif style == "paren":
            written = f"（{value}）"
        elif style == "circled":
            written = CIRCLED[value - 1] if value <= len(CIRCLED) else f"{value}."
        elif style == "full-width":
            written = f"{str(value).translate(FULL_WIDTH)}．"
        else:
            raise ValueError(style)
        return f"{bold}{written}"

    return TASK_LINE_RE.sub(number, text)


def restarted_per_category(text):
    """Numbering that starts again at 1 in every category （一）, （二）…"""
    out, counter = [], 0
    for line in text.split("\n"):
        if re.match(r"^[（(][一二三四五六七八九十]+[）)]", line) or line.startswith("附件"):
            counter = 0
        match = TASK_LINE_RE.match(line)
        if match:
            counter += 1
            line = f"{match.group(1) or ''}{counter}. " + line[match.end() :]
        out.append(line)
    return "\n".join(out)


def bold_around_number(text, whole_lead=False):
    """1. **构建…。**作为… → **1.** 构建…。作为… (the bold on the number only), or with
    `whole_lead` **1. 构建…。**作为… (the number inside the bold lead)."""
    replacement = r"**\1. \2**" if whole_lead else r"**\1.** \2"
    return re.sub(r"^(\d{1,2})\. \*\*(.+?)\*\*", replacement, text, flags=re.M)


def with_agency_style(text, style):
    """（支持单位：A、B） in another bracket style; the agencies stay the same."""
    if style == "responsible":
        return re.sub(r"[（(]支持单位[：:]", "（责任单位：", text)
    if style == "tortoise":
        return re.sub(r"[（(]支持单位[：:]([^）)]*)[）)]", r"〔责任单位：\1〕", text)
    if style == "lead-and-cooperating":
        # The first agency leads, the others cooperate.
        def split(match):
            names = re.split(r"[、，,]", match.group(1))
            if len(names) == 1:
                return f"（牵头单位：{names[0]}）"
            return f"（牵头单位：{names[0]}；配合单位：{'、'.join(names[1:])}）"

        return re.sub(r"[（(]支持单位[：:]([^）)]*)[）)]", split, text)
    if style == "verbs":

        def verbs(match):
            names = re.split(r"[、，,]", match.group(1))
            if len(names) == 1:
                return f"（{names[0]}牵头）"
            return f"（{names[0]}牵头，{'、'.join(names[1:])}按职责分工负责）"

        return re.sub(r"[（(]支持单位[：:]([^）)]*)[）)]", verbs, text)
    raise ValueError(style)


def with_area_styles(text):
    """约, 为, 平方千米, 公顷 and full-width digits, as other annexes write areas."""
    text = text.replace("联动创新区总面积18.88平方公里", "联动创新区总面积约18.88平方千米")
    text = text.replace("区块二：面积0.66平方公里", "区块二：面积为66公顷")
    text = text.replace("区块三：面积1.17平方公里", "区块三：面积约１．１７平方公里")
    return text


def with_wrapped_headings(text):
    """A two-line title and a category heading wrapped onto a second line."""
    text = text.replace(
        "第二批天津自贸试验区联动创新区建设方案", "第二批天津自贸试验区\n联动创新区建设方案", 1
    )
    return text.replace(
        "（一）深化制度创新，提升集成电路产业开放能级", "（一）深化制度创新，提升集成电路\n产业开放能级", 1
    )


def docx_bytes(text, bold_leads=True):
    """The text as a Word document: one paragraph per line, **bold** leads as bold runs."""
    import docx

    document = docx.Document()
    for line in text.split("\n"):
        paragraph = document.add_paragraph()
        parts = re.split(r"(\*\*.+?\*\*)", line) if bold_leads else [line]
        for part in parts:
            if part.startswith("**") and part.endswith("**") and len(part) > 4:
                paragraph.add_run(part[2:-2]).bold = True
            elif part:
                paragraph.add_run(part)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_table_bytes(title, header, rows):
    import docx

    document = docx.Document()
    document.add_paragraph(title)
    table = document.add_table(rows=1, cols=len(header))
    for cell, value in zip(table.rows[0].cells, header, strict=True):
        cell.text = value
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = value
    document.add_paragraph("说明：完成时限以实际为准。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_bytes(title, header, rows):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append([int(value) if value.isdigit() else value for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def html_for_pdf(text):
    """The source as a printable page: each line a paragraph, page breaks where the PDF had them."""
    from html import escape

    paragraphs = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        html = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escape(line))
        paragraphs.append(f"<p>{html}</p>")
    return (
        "<!doctype html><html><head><meta charset='utf-8'><style>"
        "body{font-size:9pt;line-height:1.3} p{margin:0 0 4pt 0}</style></head><body>"
        + "".join(paragraphs)
        + "</body></html>"
    )


def docx_with_word_numbering(text):
    """Task numbers drawn by Word's list numbering (style “List Number”), not typed in the text."""
    import docx

    document = docx.Document()
    for line in text.split("\n"):
        match = TASK_LINE_RE.match(line)
        if match:
            paragraph = document.add_paragraph(style="List Number")
            line = (match.group(1) or "") + line[match.end() :]
        else:
            paragraph = document.add_paragraph()
        for part in re.split(r"(\*\*.+?\*\*)", line):
            if part.startswith("**") and part.endswith("**") and len(part) > 4:
                paragraph.add_run(part[2:-2]).bold = True
            elif part:
                paragraph.add_run(part)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
