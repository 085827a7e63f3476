"""Calls every operation of services sfstub serves from their contracts (a scenario's
`contracts:`, `serve --contract`) through zeep clients generated from the WSDLs sfstub serves.

    python3 sfstub_contracts.py http://127.0.0.1:8080 plan.json

plan.json lists the calls: [{"path": "/sagdokumentindeks/6", "operation": "fremsoeg",
"request": "<sdi:FremsoegSagDokumentIndeksInput .../>", "header": "<h:RequestHeader .../>"}].
Each request element is read into zeep's objects with the operation's own input element (as
a program would build it) and sent through the generated client: zeep writes the envelope,
the SOAPAction and the headers, and reads the answer with the WSDL's schemas. Prints one
"OK <path> <operation> <answer element>" line per call and exits non-zero on the first
failure.
"""

import json
import sys

import zeep
from lxml import etree


def fill(value, xsd_type):
    """zeep reads an empty element of a complex type (`<SoegUdtryk/>`, whose content is all
    optional) as None, then refuses to send a required element that is None: put an empty
    object in its place, at any depth."""
    if value is None:
        return
    for item in value if isinstance(value, list) else [value]:
        if not hasattr(item, "__values__"):
            continue
        for name, child in getattr(xsd_type, "elements", []):
            current = item[name] if name in item else None
            if current is None and child.min_occurs >= 1 and hasattr(child.type, "elements"):
                item[name] = child.type()
            else:
                fill(current, child.type)


def main(base, plan_file):
    with open(plan_file, encoding="utf-8") as f:
        plan = json.load(f)
    clients = {}
    for call in plan:
        path, name = call["path"], call["operation"]
        client = clients.get(path)
        if client is None:
            client = clients[path] = zeep.Client(f"{base}{path}?wsdl")
        operation = client.service._binding._operations[name]
        # The request as the program's objects: the input element read by zeep.
        element = operation.input.body
        value = element.parse(etree.fromstring(call["request"].encode("utf-8")), client.wsdl.types)
        fill(value, element.type)
        arguments = {key: value[key] for key in value} if value is not None else {}
        headers = []
        if call.get("header"):
            header = etree.fromstring(call["header"].encode("utf-8"))
            header_element = client.get_element(header.tag)
            headers.append(header_element(**{k: v for k, v in header_element.parse(header, client.wsdl.types).__values__.items()}))
        result = getattr(client.service, name)(**arguments, _soapheaders=headers)
        answer = type(result).__name__ if result is not None else "None"
        print(f"OK {path} {name} {answer}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
