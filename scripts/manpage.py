#!/usr/bin/env python3
"""Writes steward(1) from the commands' own help: reads
`steward --experimental-dump-help` (swift-argument-parser's description of
every command, option and argument) on standard input, prints a man page.

    steward --experimental-dump-help | scripts/manpage.py VERSION > steward.1
"""
import datetime
import json
import sys


def escape(text):
    lines = (text or "").replace("\\", "\\e").splitlines()
    # A line starting with '.' or "'" would be read as a request.
    return "\n".join("\\&" + line if line[:1] in (".", "'") else line for line in lines)


def usage(command, path):
    parts = []
    for argument in command.get("arguments", []):
        if not argument.get("shouldDisplay", True):
            continue
        name = argument.get("preferredName")
        if argument["kind"] == "positional":
            text = f"<{argument.get('valueName', 'value')}>"
        elif argument["kind"] == "flag":
            text = f"--{name['name']}" if name["kind"] == "long" else f"-{name['name']}"
        else:
            dashes = "--" if name["kind"] == "long" else "-"
            text = f"{dashes}{name['name']} <{argument.get('valueName', 'value')}>"
        if argument.get("isRepeating"):
            text += " ..."
        parts.append(f"[{text}]" if argument.get("isOptional") else text)
    return " ".join(path + parts)


def arguments(command):
    out = []
    for argument in command.get("arguments", []):
        if not argument.get("shouldDisplay", True) or argument.get("preferredName", {}).get("name") in ("help", "version"):
            continue
        names = ", ".join(("--" if n["kind"] == "long" else "-") + n["name"] for n in argument.get("names", [])) \
            or f"<{argument.get('valueName', 'value')}>"
        if argument["kind"] == "option":
            names += f" <{argument.get('valueName', 'value')}>"
        default = f" (default: {argument['defaultValue']})" if argument.get("defaultValue") not in (None, "") else ""
        out.append(f".TP\n.B {escape(names)}\n{escape(argument.get('abstract', ''))}{escape(default)}")
    return "\n".join(out)


def main():
    version = sys.argv[1] if len(sys.argv) > 1 else ""
    root = json.load(sys.stdin)["command"]
    date = datetime.date.today().isoformat()
    page = [f'.TH STEWARD 1 "{date}" "steward {version}" "Steward Manual"',
            ".SH NAME", f"steward \\- {escape(root.get('abstract', ''))}",
            ".SH SYNOPSIS", ".B steward", "<command> [options]",
            ".SH DESCRIPTION", escape(root.get("discussion", "")),
            ".SH COMMANDS"]
    for command in root.get("subcommands", []):
        if not command.get("shouldDisplay", True) or command["commandName"] == "help":
            continue
        page += [f".SS {escape(command['commandName'])}", escape(command.get("abstract", "")),
                 ".PP", escape(usage(command, ["steward", command["commandName"]])), ".PP", escape(command.get("discussion", "")),
                 arguments(command)]
    page += [".SH SEE ALSO", "The README in /usr/share/doc/steward, and the reference manifests in /usr/share/doc/steward/manifests."]
    print("\n".join(line for line in page if line))


if __name__ == "__main__":
    main()
