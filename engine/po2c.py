#!/usr/bin/env python3
"""po2c.py: turn a gettext domain (a .pot template and one .po per language) into C tables.

usage: po2c.py --msgfmt MSGFMT --prefix NAME [--enum E] OUT.c OUT.h TEMPLATE.pot LANG.po...
       po2c.py --check TEMPLATE.pot LANG.po...

Each message has a stable key in msgctxt (the C code names it M_<KEY>) and
its English text in msgid. OUT.h declares `enum lang` (LANG_<CODE>, in the
order of the .po files, the first being the fallback) and `enum msg`;
OUT.c defines `NAME_lang_codes[LANG_COUNT]`, `NAME_keys[M_COUNT]` and
`NAME_words[LANG_COUNT][M_COUNT]`, so a program needs no installed locale
and no setlocale(). With --enum HUB_, the names are `enum hub_lang`,
HUB_LANG_<CODE>, `enum hub_msg` and HUB_M_<KEY>, so that two domains can
meet in one program.

The build refuses (exit 1, one line per problem) a .po file that msgfmt
--check-format rejects, that is not UTF-8, that uses plural forms, or whose
translation of a c-format message has other conversions than the English:
such a string would be handed to printf with the wrong arguments. A missing,
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
            cur[field] += unquote(line, where)
        else:
            key, _, rest = line.partition(" ")
            names = {"msgctxt": "ctxt", "msgid": "id", "msgstr": "str"}
            if key not in names:
                raise PoError("%s: %s is not supported (plural forms and other fields are not)"
                              % (where, key))
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


def load(template, pos):
    """(keys, english, per-language tables, errors, warnings)."""
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
    langs, tables = [], []
    for po in pos:
        code = os.path.splitext(os.path.basename(po))[0]
        if not re.fullmatch(r"[a-z]{2,3}", code):
            raise PoError("%s: the file name must be a language code (es.po)" % po)
        have = {e["ctxt"]: e for e in parse(po) if e["id"] != ""}
        table = {}
        for k in keys:
            src = english[k]
            e = have.get(k)
            if e is None:
                warnings.append("%s: %s has no translation" % (po, k))
            elif e["id"] != src["id"]:
                warnings.append("%s:%d: %s translates an older English text (run msgmerge)"
                                % (po, e["line"], k))
            elif e["str"] == "":
                warnings.append("%s:%d: %s has no translation" % (po, e["line"], k))
            elif "fuzzy" in e["flags"]:
                warnings.append("%s:%d: %s is fuzzy" % (po, e["line"], k))
            else:
                table[k] = e["str"]
            text = table.get(k)
            if text is None:
                continue
            if "c-format" in src["flags"]:
                if bad_percent(text) or conversions(text) != conversions(src["id"]):
                    errors.append("%s:%d: %s: the format must take %s, in that order"
                                  % (po, e["line"], k, " ".join(conversions(src["id"])) or
                                     "no argument"))
            if k == "LANG_DIR" and text not in ("ltr", "rtl"):
                errors.append("%s:%d: LANG_DIR is ltr or rtl" % (po, e["line"]))
        for k, e in have.items():
            if k not in english:
                warnings.append("%s:%d: %s is not in the template (run msgmerge)"
                                % (po, e["line"], k))
        langs.append(code)
        tables.append(table)
    return keys, english, langs, tables, errors, warnings


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


def write(out_c, out_h, prefix, enum, keys, english, langs, tables):
    L, M, low = enum + "LANG_", enum + "M_", enum.lower()
    guard = "RELAIS_%s_H" % re.sub(r"[^A-Z0-9]", "_", os.path.basename(out_h).upper())
    h = ["/* Generated by engine/po2c.py: do not edit (the messages are in po/). */",
         "#ifndef " + guard, "#define " + guard, "",
         "enum %slang {" % low]
    h += ["\t%s%s," % (L, c.upper()) for c in langs]
    h += ["\t%sCOUNT" % L, "};", "", "enum %smsg {" % low]
    h += ["\t%s%s," % (M, k) for k in keys]
    h += ["\t%sCOUNT" % M, "};", "",
          "extern const char *const %s_lang_codes[%sCOUNT];" % (prefix, L),
          "extern const char *const %s_keys[%sCOUNT];" % (prefix, M),
          "extern const char *const %s_words[%sCOUNT][%sCOUNT];" % (prefix, L, M),
          "", "#endif", ""]
    c = ["/* Generated by engine/po2c.py: do not edit (the messages are in po/). */",
         '#include "%s"' % os.path.basename(out_h), "",
         "const char *const %s_lang_codes[%sCOUNT] = {%s};"
         % (prefix, L, ", ".join(c_string(l) for l in langs)), "",
         "const char *const %s_keys[%sCOUNT] = {" % (prefix, M)]
    c += ["\t[%s%s] = %s," % (M, k, c_string(k)) for k in keys]
    c += ["};", "", "const char *const %s_words[%sCOUNT][%sCOUNT] = {" % (prefix, L, M)]
    for lang, table in zip(langs, tables):
        c.append("\t[%s%s] = {" % (L, lang.upper()))
        for k in keys:
            c.append("\t\t[%s%s] = %s," % (M, k, c_string(table.get(k, english[k]["id"]))))
        c.append("\t},")
    c += ["};", ""]
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
    keys, english, langs, tables, errors, warnings = load(template, pos)
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
        write(outs[0], outs[1], prefix, enum, keys, english, langs, tables)
    else:
        print("%d messages, all translated in %s" % (len(keys), " ".join(langs)))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (PoError, OSError) as e:
        print("po2c.py: %s" % e, file=sys.stderr)
        sys.exit(1)
