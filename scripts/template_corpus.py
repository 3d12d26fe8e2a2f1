#!/usr/bin/env python3
"""Helper of scripts/template_corpus.sh.

  cases CORPUS OUT.json     one golden-format case per corpus body and subject and data set
  compare CASES GO OURS     counts: identical, both refuse, divergent (with the first difference)
"""
import collections
import json
import os
import sys

SITE = "https://app.example.com"
DATA_SETS = {
    # What a sign-up mail typically carries.
    "typical": {
        "SiteURL": SITE,
        "ConfirmationURL": "https://auth.example.com/auth/v1/verify?token=pkce_3f2a9c&type=signup"
        "&redirect_to=https://app.example.com/welcome",
        "Email": "ann@example.com",
        "NewEmail": "ann.new@example.com",
        "Token": "123456",
        "TokenHash": "pkce_3f2a9c",
        "RedirectTo": "https://app.example.com/welcome",
        "Data": {"name": "Ann", "full_name": "Ann Smith", "first_name": "Ann",
                 "username": "ann", "age": 36, "company": "Acme"},
    },
    # Only what every mail has; no metadata.
    "minimal": {
        "SiteURL": SITE,
        "ConfirmationURL": "https://auth.example.com/auth/v1/verify?token=t&type=magiclink",
        "Email": "a@b.co",
        "Token": "000000",
        "TokenHash": "t",
        "RedirectTo": SITE,
        "Data": {},
    },
    # Characters every escaper treats differently, a space in the site URL, non-ASCII.
    "tricky": {
        "SiteURL": "https://exa mple.com/my app",
        "ConfirmationURL": "https://auth.example.com/auth/v1/verify?token=a+b&type=invite"
        "&redirect_to=https://app.example.com/ü?x='1'&y=<2>",
        "Email": "o'brien+news@ex&ample.com",
        "NewEmail": "zoë<new>@example.com",
        "Token": "12<34>",
        "TokenHash": "h&'\"+",
        "RedirectTo": "javascript:alert('x')",
        "Data": {"name": "Zoë <O'Brien> & \"Co\" +1", "full_name": "José D'Ávila & Söhne",
                 "first_name": "<b>Ann</b>", "username": "a+b", "age": 1717171717,
                 "company": "Smith & Sons"},
    },
}


def build_cases(corpus, out):
    cases = []
    bodies = sorted(os.listdir(os.path.join(corpus, "bodies")))
    skipped = 0
    for body in bodies:
        try:
            with open(os.path.join(corpus, "bodies", body), encoding="utf-8") as f:
                template = f.read()
        except UnicodeDecodeError:
            skipped += 1
            continue
        for data_name, data in DATA_SETS.items():
            cases.append({"name": f"body:{body}:{data_name}", "template": template, "data": data})
    with open(os.path.join(corpus, "subjects.tsv"), encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f][1:]
    subjects = sorted({row[2] for row in rows if len(row) >= 3})
    for i, subject in enumerate(subjects):
        for data_name, data in DATA_SETS.items():
            cases.append({"name": f"subject:{i:03d}:{data_name}", "template": subject,
                          "data": data, "subject": True})
    with open(out, "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False)
    print(f"template-corpus: {len(bodies) - skipped} bodies, {len(subjects)} distinct subjects, "
          f"{len(DATA_SETS)} data sets: {len(cases)} cases"
          + (f" ({skipped} bodies not UTF-8, skipped)" if skipped else ""))


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def compare(cases_path, go_path, ours_path):
    with open(cases_path, encoding="utf-8") as f:
        cases = json.load(f)
    with open(go_path, encoding="utf-8") as f:
        go = {r["name"]: r for r in json.load(f)}
    with open(ours_path, encoding="utf-8") as f:
        ours = {r["name"]: r for r in json.load(f)}
    counts = collections.defaultdict(collections.Counter)
    divergent = []
    for case in cases:
        name = case["name"]
        group = {"body": "bodies", "subject": "subjects"}[name.split(":")[0]] + "/" + \
            name.rsplit(":", 1)[1]
        g, o = go[name], ours[name]
        if "error" in g and "error" in o:
            verdict = "both refuse"
        elif "error" not in g and "error" not in o and g["output"] == o["output"]:
            verdict = "identical"
        else:
            verdict = "divergent"
            if "error" in g or "error" in o:
                detail = f"go: {g.get('error', 'renders')}, ours: {o.get('error', 'renders')}"
                detail += f" ({(g.get('message') or o.get('message'))[:120]})"
            else:
                i = first_difference(g["output"], o["output"])
                detail = (f"byte {i}: go {g['output'][max(0, i - 30):i + 40]!r}"
                          f" | ours {o['output'][max(0, i - 30):i + 40]!r}")
            divergent.append(f"  {name}: {detail}")
        counts[group][verdict] += 1
        counts["total"][verdict] += 1
    for group in sorted(counts):
        c = counts[group]
        print(f"{group:18} cases {sum(c.values()):4}  identical {c['identical']:4}  "
              f"both refuse {c['both refuse']:3}  divergent {c['divergent']:3}")
    if divergent:
        print("divergent cases (first difference):")
        print("\n".join(divergent))


if __name__ == "__main__":
    if sys.argv[1] == "cases":
        build_cases(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
