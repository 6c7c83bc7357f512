"""``orderhub catalogue ...``: read the supplier's catalogue, and map a shop's SKUs to it."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from admin.commands_base import emit


def add_parser(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    cat = sub.add_parser("catalogue", help="the supplier's products and stock, and SKU mappings")
    c_sub = cat.add_subparsers(dest="catalogue_command", required=True, parser_class=parser_class)
    sync = c_sub.add_parser("sync", help="read the supplier's products, variations and stock now "
                                         "(catalogue lists allow a few calls an hour: this may wait)")
    sync.add_argument("--stock", action="store_true", help="only the stock lists (products read before)")
    sync.add_argument("--json", action="store_true")
    mp = c_sub.add_parser("map", help="send this channel SKU to the supplier as that supplier SKU")
    mp.add_argument("channel_sku")
    mp.add_argument("supplier_sku")
    imp = c_sub.add_parser("import", help="map many SKUs from a CSV file of channel_sku,supplier_sku rows "
                                          "(all or nothing)")
    imp.add_argument("file")


def cmd_catalogue(args: argparse.Namespace, input_error: type[Exception]) -> int:
    from connectors.errors import ConnectorError, RateLimited
    from sync import catalogue, catalogue_map, connect
    from sync.db import get_database
    from sync.wallet import NoSupplier

    db = get_database()
    try:
        if args.catalogue_command == "sync":
            run = catalogue.refresh_stock if args.stock else catalogue.sync_catalogue
            result = run(db, connect.supplier_for)
            _report(result, args.json)
        elif args.catalogue_command == "map":
            m = catalogue_map.map_sku(db, args.channel_sku, args.supplier_sku)
            print(f"{m.channel_sku} -> {m.supplier_sku}")
        else:
            done = catalogue_map.import_csv(db, _read(Path(args.file), input_error))
            print(f"{len(done)} mapping{'s' if len(done) != 1 else ''} imported")
    except (catalogue_map.MappingRefused, NoSupplier, catalogue.CatalogueUnsupported) as exc:
        raise input_error(str(exc)) from None
    except RateLimited as exc:
        when = f" (again in {exc.retry_after:.0f} s)" if exc.retry_after else ""
        print(f"orderhub: the supplier's catalogue allowance for this hour is spent{when}: {exc}")
        return 1
    except ConnectorError as exc:
        print(f"orderhub: the catalogue could not be read: {exc}")
        return 1
    return 0


def _read(path: Path, input_error: type[Exception]) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise input_error(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise input_error(f"cannot read {path}: {exc.__class__.__name__}") from None


def _report(result: Any, as_json: bool) -> None:
    if as_json:
        emit(dataclasses.asdict(result))
        return
    what = "catalogue" if result.full else "stock"
    print(f"{result.supplier}: {what} read in {result.calls} calls; {result.products} references, "
          f"{result.in_stock} in stock, {result.discontinued} discontinued")
