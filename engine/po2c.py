#!/usr/bin/env python3
"""po2c.py: turn a gettext domain (a .pot template and one .po per language) into C tables.

usage: po2c.py --msgfmt MSGFMT --prefix NAME [--enum E] OUT.c OUT.h TEMPLATE.pot LANG.po...
       po2c.py --check TEMPLATE.pot LANG.po...

Each message has a stable key in msgctxt (the C code names it M_<KEY>) and
its English text in msgid. OUT.h declares `enum lang` (LANG_<CODE>, in the
order of the .po files, the first being the fallback) and `enum msg`;
OUT.c defines `NAME_lang_codes[LANG_COUNT]`, `NAME_keys[M_COUNT]` and
`NAME_words[LANG_COUNT][M_COUNT]`, so a program needs no installed locale
and no setlocale(). A message with a plural (msgid_plural, msgstr[N]) has
its forms in `NAME_plural_words[LANG_COUNT][NAME_PLURALS][NAME_FORMS_MAX]`
(`NAME_plural_slot[M_COUNT]` gives its row, plus one; 0 for a message
without plural), and `NAME_plural_form(lang, n)` picks the form for the
number n by the language's Plural-Forms header, compiled as C; its
`NAME_words` entry is its first form. With --enum HUB_, the names are `enum hub_lang`,
HUB_LANG_<CODE>, `enum hub_msg` and HUB_M_<KEY>, so that two domains can
meet in one program.

The build refuses (exit 1, one line per problem) a .po file that msgfmt
--check-format rejects, that is not UTF-8, whose Plural-Forms header is
missing or not a plain arithmetic expression of n, whose plural message has
not exactly nplurals forms, or whose translation of a c-format message (each
form of a plural one) has other conversions than the English (msgid_plural
for a plural one): such a string would be handed to printf with the wrong
arguments. A missing,
empty or fuzzy translation builds with the English text and a warning;
--check (the lint test) refuses it, and refuses a .po file that is out of
date with the template (run msgmerge).
"""
import os
import re
import subprocess
import sys

# A printf conversion as the C code uses them; "%%" is a literal percent sign.
CONVERSION = re.compile(r"%(%|[-+ #0]*[0-9]*(?:\.[0-9]+)?(?:hh|h|ll|l|z|j|t|L)?[diouxXcsfeEgGp])")
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


class PoError(Exception):
    pass


def unquote(text, where):
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise PoError("%s: expected a quoted string" % where)
    out, i, body = [], 0, text[1:-1]
    while i < len(body):
        c = body[i]
        if c == "\\":
            if i + 1 >= len(body) or body[i + 1] not in ESCAPES:
                raise PoError("%s: unknown escape in a string" % where)
            out.append(ESCAPES[body[i + 1]])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse(path):
    """The entries of a .po file: a list of dicts (ctxt, id, str, flags, line)."""
    try:
        lines = open(path, encoding="utf-8").read().split("\n")
    except UnicodeDecodeError:
        raise PoError("%s: not UTF-8" % path)
    entries, cur, field = [], None, None

    def close():
        if cur is not None and "id" in cur:
            entries.append(cur)

    for n, line in enumerate(lines, 1):
        where = "%s:%d" % (path, n)
        line = line.strip()
        if line.startswith("#~") or line == "":
            if line == "":
                close()
                cur, field = None, None
            continue
        if cur is None:
            cur = {"flags": set(), "line": n, "ctxt": None}
        if line.startswith("#,"):
            cur["flags"].update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if field is None:
                raise PoError("%s: a string outside an entry" % where)
            if isinstance(field, tuple):
                cur["forms"][field[1]] += unquote(line, where)
            else:
                cur[field] += unquote(line, where)
        else:
            key, _, rest = line.partition(" ")
            names = {"msgctxt": "ctxt", "msgid": "id", "msgstr": "str", "msgid_plural": "plural"}
            form = re.fullmatch(r"msgstr\[([0-9])\]", key)
            if form:
                forms = cur.setdefault("forms", [])
                if int(form.group(1)) != len(forms):
                    raise PoError("%s: %s out of order" % (where, key))
                forms.append("")
                field = ("forms", len(forms) - 1)
                cur["forms"][-1] = unquote(rest.strip(), where)
                continue
            if key not in names:
                raise PoError("%s: %s is not supported" % (where, key))
            field = names[key]
            cur[field] = unquote(rest.strip(), where)
    close()
    return entries


def conversions(s):
    return [m.group(0) for m in CONVERSION.finditer(s) if m.group(1) != "%"]


def bad_percent(s):
    """True when a '%' starts no conversion the C code knows."""
    stripped = CONVERSION.sub("", s)
    return "%" in stripped


def c_string(s):
    out = []
    for ch in s:
        if ch in '\\"?':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20:
            out.append("\\%03o" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


# A Plural-Forms expression as gettext writes them: n, numbers, C's operators.
PLURAL_EXPR = re.compile(r"[n0-9 ()?:<>=!%&|+*/-]+")
FORMS_MAX = 6


def plural_header(po, entries):
    """(nplurals, C expression) from a .po file's header entry."""
    head = next((e for e in entries if e["id"] == ""), None)
    m = re.search(r"^Plural-Forms:\s*nplurals\s*=\s*([0-9]+)\s*;\s*plural\s*=\s*(.*?);?\s*$",
                  head.get("str", "") if head else "", re.M)
    if not m:
        raise PoError("%s: no Plural-Forms header (nplurals=N; plural=EXPRESSION;)" % po)
    n, expr = int(m.group(1)), m.group(2).strip()
    if not 1 <= n <= FORMS_MAX or not PLURAL_EXPR.fullmatch(expr):
        raise PoError("%s: Plural-Forms must give 1 to %d forms and an expression of n with "
                      "C's arithmetic, comparison and ?: operators" % (po, FORMS_MAX))
    return n, expr


def check_format(errors, po, e, k, src, text):
    english = src.get("plural", src["id"])
    if bad_percent(text) or conversions(text) != conversions(english):
        errors.append("%s:%d: %s: the format must take %s, in that order"
                      % (po, e["line"], k, " ".join(conversions(english)) or "no argument"))


def load(template, pos):
    """(keys, english, per-language tables, plural headers, errors, warnings).

    A table maps a key to its text, or for a plural message to its list of forms."""
    errors, warnings = [], []
    tmpl = [e for e in parse(template) if e["id"] != ""]
    keys = []
    for e in tmpl:
        if not e["ctxt"] or not re.fullmatch(r"[A-Z][A-Z0-9_]*", e["ctxt"]):
            raise PoError("%s:%d: every message needs a key in msgctxt (A-Z, 0-9, _)"
                          % (template, e["line"]))
        if e["ctxt"] in keys:
            raise PoError("%s:%d: key %s twice" % (template, e["line"], e["ctxt"]))
        keys.append(e["ctxt"])
    english = {e["ctxt"]: e for e in tmpl}
    langs, tables, plurals = [], [], []
    for po in pos:
        code = os.path.splitext(os.path.basename(po))[0]
        if not re.fullmatch(r"[a-z]{2,3}", code):
            raise PoError("%s: the file name must be a language code (es.po)" % po)
        entries = parse(po)
        nplurals, expr = plural_header(po, entries)
        have = {e["ctxt"]: e for e in entries if e["id"] != ""}
        table = {}
        for k in keys:
            src = english[k]
            e = have.get(k)
            forms = e.get("forms") if e else None
            if e is None:
                warnings.append("%s: %s has no translation" % (po, k))
            elif e["id"] != src["id"] or e.get("plural") != src.get("plural"):
                warnings.append("%s:%d: %s translates an older English text (run msgmerge)"
                                % (po, e["line"], k))
            elif ("plural" in src) != (forms is not None):
                errors.append("%s:%d: %s %s" % (po, e["line"], k, "needs msgstr[0] to msgstr[N]"
                              if "plural" in src else "has no plural: one msgstr"))
            elif forms is not None and len(forms) != nplurals:
                errors.append("%s:%d: %s has %d forms, the language's Plural-Forms %d"
                              % (po, e["line"], k, len(forms), nplurals))
            elif (forms is not None and "" in forms) or (forms is None and e["str"] == ""):
                warnings.append("%s:%d: %s has no translation" % (po, e["line"], k))
            elif "fuzzy" in e["flags"]:
                warnings.append("%s:%d: %s is fuzzy" % (po, e["line"], k))
            else:
                table[k] = forms if forms is not None else e["str"]
            text = table.get(k)
            if text is None:
                continue
            if "c-format" in src["flags"]:
                for t in (text if isinstance(text, list) else [text]):
                    check_format(errors, po, e, k, src, t)
            if k == "LANG_DIR" and text not in ("ltr", "rtl"):
                errors.append("%s:%d: LANG_DIR is ltr or rtl" % (po, e["line"]))
        for k, e in have.items():
            if k not in english:
                warnings.append("%s:%d: %s is not in the template (run msgmerge)"
                                % (po, e["line"], k))
        langs.append(code)
        tables.append(table)
        plurals.append((nplurals, expr))
    return keys, english, langs, tables, plurals, errors, warnings


def msgfmt_check(msgfmt, pos):
    errors = []
    for po in pos:
        r = subprocess.run([msgfmt, "--check-format", "-o", os.devnull, po],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        if r.returncode != 0:
            errors.extend(l for l in r.stdout.splitlines() if l.strip())
            errors.append("%s: msgfmt --check-format refused it" % po)
    return errors


def write(out_c, out_h, prefix, enum, keys, english, langs, tables, plurals):
    L, M, low = enum + "LANG_", enum + "M_", enum.lower()
    up = prefix.upper()
    plural_keys = [k for k in keys if "plural" in english[k]]
    guard = "RELAIS_%s_H" % re.sub(r"[^A-Z0-9]", "_", os.path.basename(out_h).upper())
    h = ["/* Generated by engine/po2c.py: do not edit (the messages are in po/). */",
         "#ifndef " + guard, "#define " + guard, "",
         "enum %slang {" % low]
    h += ["\t%s%s," % (L, c.upper()) for c in langs]
    h += ["\t%sCOUNT" % L, "};", "", "enum %smsg {" % low]
    h += ["\t%s%s," % (M, k) for k in keys]
    h += ["\t%sCOUNT" % M, "};", "",
          "#define %s_PLURALS %d" % (up, max(len(plural_keys), 1)),
          "#define %s_FORMS_MAX %d" % (up, FORMS_MAX), "",
          "extern const char *const %s_lang_codes[%sCOUNT];" % (prefix, L),
          "extern const char *const %s_keys[%sCOUNT];" % (prefix, M),
          "extern const char *const %s_words[%sCOUNT][%sCOUNT];" % (prefix, L, M),
          "extern const unsigned char %s_plural_slot[%sCOUNT];" % (prefix, M),
          "extern const char *const %s_plural_words[%sCOUNT][%s_PLURALS][%s_FORMS_MAX];"
          % (prefix, L, up, up),
          "/* The form (0 to nplurals - 1) of the number n in lang. */",
          "unsigned %s_plural_form(enum %slang lang, unsigned long n);" % (prefix, low),
          "", "#endif", ""]
    c = ["/* Generated by engine/po2c.py: do not edit (the messages are in po/). */",
         '#include "%s"' % os.path.basename(out_h), "",
         "const char *const %s_lang_codes[%sCOUNT] = {%s};"
         % (prefix, L, ", ".join(c_string(l) for l in langs)), "",
         "const char *const %s_keys[%sCOUNT] = {" % (prefix, M)]
    c += ["\t[%s%s] = %s," % (M, k, c_string(k)) for k in keys]
    c += ["};", "", "const char *const %s_words[%sCOUNT][%sCOUNT] = {" % (prefix, L, M)]

    for lang, table, (nplurals, _) in zip(langs, tables, plurals):
        c.append("\t[%s%s] = {" % (L, lang.upper()))
        for k in keys:
            text = table.get(k, english[k]["id"])
            if isinstance(text, list):
                text = text[0]
            c.append("\t\t[%s%s] = %s," % (M, k, c_string(text)))
        c.append("\t},")
    c += ["};", "", "const unsigned char %s_plural_slot[%sCOUNT] = {" % (prefix, M)]
    c += ["\t[%s%s] = %d," % (M, k, i + 1) for i, k in enumerate(plural_keys)] or ["\t0,"]
    c += ["};", "",
          "const char *const %s_plural_words[%sCOUNT][%s_PLURALS][%s_FORMS_MAX] = {"
          % (prefix, L, up, up)]
    for lang, table, (nplurals, _) in zip(langs, tables, plurals):
        c.append("\t[%s%s] = {" % (L, lang.upper()))
        for i, k in enumerate(plural_keys):
            forms = table.get(k)
            if not isinstance(forms, list):
                # Untranslated: English, its singular for the first form only.
                forms = [english[k]["id"]] + [english[k]["plural"]] * (nplurals - 1)
            c.append("\t\t[%d] = {%s}," % (i, ", ".join(c_string(f) for f in forms)))
        if not plural_keys:
            c.append("\t\t{0},")
        c.append("\t},")
    c += ["};", "",
          "unsigned %s_plural_form(enum %slang lang, unsigned long n)" % (prefix, low), "{",
          "\tunsigned form;", "", "\tswitch (lang) {"]
    for lang, (nplurals, expr) in zip(langs, plurals):
        c += ["\tcase %s%s:" % (L, lang.upper()),
              "\t\tform = (unsigned)(%s);" % expr,
              "\t\treturn form < %du ? form : 0;" % nplurals]
    c += ["\tdefault:", "\t\treturn 0;", "\t}", "}", ""]
    with open(out_h, "w", encoding="utf-8") as f:
        f.write("\n".join(h))
    with open(out_c, "w", encoding="utf-8") as f:
        f.write("\n".join(c))


def main(argv):
    args = argv[1:]
    check = msgfmt = prefix = None
    enum = ""
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--check":
            check = True
        elif opt == "--msgfmt" and args:
            msgfmt = args.pop(0)
        elif opt == "--prefix" and args:
            prefix = args.pop(0)
        elif opt == "--enum" and args:
            enum = args.pop(0)
            if not re.fullmatch(r"([A-Z][A-Z0-9]*_)?", enum):
                raise PoError("--enum takes a prefix such as HUB_")
        else:
            raise PoError("unknown option %s" % opt)
    if check:
        outs, rest = None, args
    else:
        if len(args) < 4 or msgfmt is None or prefix is None:
            raise PoError(__doc__.strip().split("\n\n")[1])
        outs, rest = args[:2], args[2:]
    template, pos = rest[0], rest[1:]
    if not pos or os.path.splitext(os.path.basename(pos[0]))[0] != "en":
        raise PoError("the first .po file must be en.po, the fallback")
    keys, english, langs, tables, plurals, errors, warnings = load(template, pos)
    if msgfmt is not None:
        errors = msgfmt_check(msgfmt, pos) + errors
    if check:
        errors += warnings
    else:
        for w in warnings:
            print("po2c.py: warning: " + w, file=sys.stderr)
    if errors:
        for e in errors:
            print("po2c.py: " + e, file=sys.stderr)
        return 1
    if outs:
        write(outs[0], outs[1], prefix, enum, keys, english, langs, tables, plurals)
    else:
        print("%d messages, all translated in %s" % (len(keys), " ".join(langs)))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (PoError, OSError) as e:
        print("po2c.py: %s" % e, file=sys.stderr)
        sys.exit(1)
