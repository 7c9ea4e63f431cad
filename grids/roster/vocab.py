"""The Chinese words a roster uses for coded fields: one table per field, code → word.

The template's drop-downs and the export write these words; the importer accepts them
and the usual variants listed in importer.py.
"""

SEX = {"M": "男", "F": "女"}
RESIDENCE_TYPE = {"registered": "户籍人口", "resident": "常住人口", "migrant": "流动人口", "foreign": "境外人员"}
RELATION = {
    "head": "户主",
    "spouse": "配偶",
    "child": "子女",
    "parent": "父母",
    "grandchild": "孙子女",
    "sibling": "兄弟姐妹",
    "other": "其他",
}
POLITICAL_STATUS = {
    "cpc": "中共党员",
    "cpc_probationary": "中共预备党员",
    "cyl": "共青团员",
    "democratic": "民主党派",
    "masses": "群众",
}


def accepted(words: dict[str, str], **variants: str) -> dict[str, str]:
    """Spelling → code: the canonical words plus variants given as word=code."""
    return {word: code for code, word in words.items()} | variants
