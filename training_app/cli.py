"""`training-app`: serve | db upgrade | bank check | bank stats | seed-demo | sweep | report | ...

Every command prints one clear line on a problem (no traceback) and exits non-zero.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from .config import ConfigError, load_settings

log = logging.getLogger("training_app.cli")


def _die(msg: str, code: int = 1) -> int:
    print(msg, file=sys.stderr)
    return code


def _engine(settings):
    from .store.db import check_connection, get_engine

    engine = get_engine(settings.database_url)
    check_connection(engine)
    return engine


def _bank(settings, path: str | None = None):
    from .services.common import load_checked_bank

    return load_checked_bank(Path(path) if path else settings.question_bank_dir)


def _app(settings, *, migrate: bool = False):
    from .services.common import make_app
    from .store.migrate import is_up_to_date, upgrade

    engine = _engine(settings)
    if migrate:
        upgrade(engine)
    elif not is_up_to_date(engine):
        raise ConfigError("数据库结构不是最新版本，请先运行 `training-app db upgrade`")
    return make_app(settings, engine=engine, bank=_bank(settings))


# --- commands ------------------------------------------------------------------------------------


def cmd_db_upgrade(args, settings) -> int:
    from .store.migrate import current_revision, upgrade

    engine = _engine(settings)
    upgrade(engine)
    print(f"数据库已升级到 {current_revision(engine)}（{engine.url.render_as_string(hide_password=True)}）")
    return 0


def cmd_bank_check(args, settings) -> int:
    from .bank import BankError

    path = Path(args.dir) if args.dir else settings.question_bank_dir
    try:
        bank = _bank(settings, str(path))
    except BankError as exc:
        print(exc.report())
        print(f"题库检查未通过：{len(exc.issues)} 个问题（{path}）", file=sys.stderr)
        return 1
    review = sum(1 for q in bank.questions.values() if q.needs_review)
    print(
        f"题库检查通过：{len(bank.questions)} 道题，{len(bank.laws)} 部法律法规，{len(bank.blueprints)} 个组卷方案"
        + (f"；{review} 道题因法律修订待复核" if review else "")
    )
    return 0


def paper_overlaps(bank) -> dict[str, dict]:
    """Per blueprint: the share of questions two papers have in common, simulated over the real draw
    (engine.paper.paper_overlap: 300 pairs, fixed seeds)."""
    from .engine.paper import paper_overlap

    out = {}
    for bid, bp in bank.blueprints.items():
        o = paper_overlap(bank, bp)
        out[bid] = {"pairs": o.pairs, "mean": o.mean, "worst": o.worst}
    return out


def cmd_bank_stats(args, settings) -> int:
    from .bank import BankError
    from .bank.stats import bank_stats, format_stats

    try:
        bank = _bank(settings, args.dir)
    except BankError as exc:
        print(exc.report())
        return 1
    stats = bank_stats(bank, overlaps=paper_overlaps(bank))
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
    else:
        print(format_stats(stats))
    return 0 if stats["all_targets_met"] or not args.strict else 1


def cmd_bank_confirm(args, settings) -> int:
    from .bank.maintain import stamp

    root = Path(args.dir) if args.dir else settings.question_bank_dir
    changed = stamp(root, law=args.law)
    for name, n in changed.items():
        print(f"  {name}: {n} 部法律的核对版本已更新")
    print(f"已确认《{args.law}》的题目按现行版本核对无误" if args.law else f"已为 {len(changed)} 个文件补记核对版本")
    return 0


def cmd_bank_export(args, settings) -> int:
    from .bank.xlsx import export_xlsx

    n = export_xlsx(Path(args.dir) if args.dir else settings.question_bank_dir, Path(args.file))
    print(f"已导出 {n} 道题到 {args.file}")
    return 0


def cmd_bank_import(args, settings) -> int:
    from .bank.xlsx import XlsxImportError, import_xlsx
    from .services.common import load_checked_bank

    try:
        n = import_xlsx(
            Path(args.file), Path(args.dir) if args.dir else settings.question_bank_dir, load=load_checked_bank
        )
    except XlsxImportError as exc:
        print(exc.report())
        print(f"导入未进行：{len(exc.problems)} 行有问题，题库未改动", file=sys.stderr)
        return 1
    print(f"已从 {args.file} 导入 {n} 道题")
    return 0


def cmd_seed_demo(args, settings) -> int:
    from .services import demo

    if not settings.demo_mode:
        raise ConfigError(
            "演示数据只能在演示环境中生成（设置 DEMO_MODE=1）；正式部署请用 create-admin 创建管理员并导入名册"
        )
    app = _app(settings, migrate=True)
    if demo.is_seeded(app):
        if not args.reset:
            print("数据库中已有数据，未作改动（如需重建演示数据，请加 --reset）")
            return 0
        demo.reset(app)
    logins = demo.seed_demo(app, password=args.password, officers=args.officers)
    if args.credentials_out:
        demo.write_credentials(args.credentials_out, logins)
        print(f"演示账号和密码已写入 {args.credentials_out}")
    officers = sum(1 for x in logins if x.role == "officer")
    print(
        f"演示数据已生成：{officers} 名执法人员账号（含过期/注销证件），{sum(1 for x in logins if x.role == 'leader')} 名领导干部"
    )
    return 0


def cmd_sweep(args, settings) -> int:
    from .services.jobs import sweep

    app = _app(settings)
    r = sweep(app, campaign_id=args.campaign)
    print(f"已关闭并评分 {r.closed} 份超时答卷；{r.cards} 道错题加入错题本")
    return 0


def cmd_report(args, settings) -> int:
    from .services import reports

    app = _app(settings)
    actor = reports.system_actor()
    if args.campaign is None and args.year is None:
        print("请指定 --campaign ID 或 --year YYYY", file=sys.stderr)
        return 2
    if args.campaign is None:
        if args.xlsx:
            print("--xlsx 需要 --campaign", file=sys.stderr)
            return 2
        year = reports.year_report(app, actor, args.year)
        print(json.dumps(year, ensure_ascii=False, indent=2, default=str) if args.json else year["paragraph"])
        return 0
    if args.xlsx:
        data = reports.campaign_workbook(app, actor, args.campaign)
        Path(args.xlsx).write_bytes(data)
        print(f"已写入 {args.xlsx}", file=sys.stderr if args.json else sys.stdout)
    summary = reports.campaign_report(app, actor, args.campaign)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    elif not args.xlsx:
        print(summary["paragraph"])
    return 0


def cmd_create_admin(args, settings) -> int:
    from .services.auth import create_staff

    app = _app(settings, migrate=True)
    password = os.environ.get("TRAINING_APP_ADMIN_PASSWORD") if args.password_from_env else None
    if password is None:
        password = getpass.getpass("新管理员密码：")
        if getpass.getpass("再次输入密码：") != password:
            return _die("两次输入的密码不一致")
    pid = create_staff(app, None, args.account, args.name, "admin", password)
    print(f"已创建系统管理员 {args.account}（id {pid}）")
    return 0


def cmd_audit_verify(args, settings) -> int:
    from .services.admin import verify_audit

    app = _app(settings)
    ok, n, problem = verify_audit(app)
    if ok:
        print(f"审计日志完整：{n} 条记录，哈希链无断裂")
        return 0
    print(f"审计日志被改动：{problem}（此前 {n} 条记录完好）")
    return 1


def cmd_backup(args, settings) -> int:
    from .services.admin import backup

    app = _app(settings)
    backup(app, Path(args.file))
    print(f"已备份到 {args.file}")
    return 0


def cmd_restore(args, settings) -> int:
    from .services.admin import restore

    restore(settings, Path(args.file))
    print(f"已从 {args.file} 恢复数据库")
    return 0


def cmd_bench(args, settings) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    try:
        from benchmarks.run import main as bench_main
    except ImportError:
        return _die("benchmarks/ 不在此安装中；请在源码目录中运行 `training-app bench`")
    argv = (
        ["--scale", args.scale]
        + (["--json"] if args.json else [])
        + (["--database-url", args.database_url] if args.database_url else [])
    )
    return bench_main(argv)


# The production-safe options of .streamlit/config.toml, passed explicitly so that `serve` behaves the same
# from any working directory (Streamlit reads config.toml from the current directory only).
SERVER_FLAGS = (
    "--server.headless",
    "true",
    "--server.enableXsrfProtection",
    "true",
    "--server.maxUploadSize",
    "5",
    "--server.runOnSave",
    "false",
    "--server.fileWatcherType",
    "none",
    "--runner.postScriptGC",
    "false",
    "--client.showErrorDetails",
    "none",
    "--client.toolbarMode",
    "minimal",
    "--browser.gatherUsageStats",
    "false",
    "--theme.base",
    "light",
    "--theme.primaryColor",
    "#b42318",
)


def transport_warning(settings) -> str | None:
    """Outside demo mode the site must be reached over HTTPS (passwords and the session cookie)."""
    if settings.demo_mode:
        return None
    url = settings.public_base_url.strip().lower()
    if not url.startswith("https://"):
        return (
            "警告：PUBLIC_BASE_URL 未设置为 https:// 地址。生产环境必须经 HTTPS 访问（见 deploy/nginx.conf），"
            "否则密码和登录凭据会以明文在网络上传输，会话 Cookie 也不会带 Secure 标志。"
        )
    return None


def cmd_serve(args, settings) -> int:
    settings.check_secret()
    warning = transport_warning(settings)
    if warning:
        print(warning, file=sys.stderr)
        log.warning("PUBLIC_BASE_URL is not https outside demo mode")
    app = _app(settings, migrate=True)  # refuses a broken bank or an unreachable database before serving
    if args.seed_demo:
        from .services import demo

        if not demo.is_seeded(app):
            logins = demo.seed_demo(app)
            out = settings.data_dir / "demo-logins.csv"
            out.parent.mkdir(parents=True, exist_ok=True)
            demo.write_credentials(str(out), logins)
            print(f"演示数据已生成，全部账号和密码见 {out}")
        print_demo_logins(settings.data_dir / "demo-logins.csv")
    entry = Path(__file__).resolve().parent / "ui" / "asgi.py"  # st.App around ui/app.py (session cookie route)
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(entry),
        "--server.port",
        str(args.port),
        "--server.address",
        args.address,
        *SERVER_FLAGS,
    ]
    print(f"正在启动：http://{'localhost' if args.address in ('0.0.0.0', '127.0.0.1') else args.address}:{args.port}")
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 0


def print_demo_logins(path: Path) -> None:
    import csv

    if not path.is_file():
        return
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    picks = [r for r in rows if r["角色"] in ("admin", "coordinator")]
    picks += [r for r in rows if r["角色"] == "leader"][:1]
    picks += [r for r in rows if r["角色"] == "officer"][:2]
    print(f"演示账号（全部见 {path}）：")
    for r in picks:
        print(f"  {r['角色']:<12} 账号 {r['账号']:<14} 密码 {r['密码']}  {r['姓名']} {r['单位']}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="training-app", description="法治培训与考试平台")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="cmd", required=True)

    sp = sub.add_parser("serve", help="migrate the database and start the web app")
    sp.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8501")))
    sp.add_argument("--address", default=os.environ.get("ADDRESS", "0.0.0.0"))
    sp.add_argument("--seed-demo", action="store_true", help="seed the demo district when the database is empty")
    sp.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_cmd", required=True)
    db.add_parser("upgrade", help="apply Alembic migrations").set_defaults(func=cmd_db_upgrade)

    bank = sub.add_parser("bank", help="question bank").add_subparsers(dest="bank_cmd", required=True)
    b = bank.add_parser("check", help="validate the bank: every problem as file:line: id: reason")
    b.add_argument("dir", nargs="?")
    b.set_defaults(func=cmd_bank_check)
    b = bank.add_parser(
        "stats",
        help="questions per law, topic, type and difficulty, article coverage of the core "
        "texts and paper overlap, against the targets",
    )
    b.add_argument("dir", nargs="?")
    b.add_argument("--json", action="store_true")
    b.add_argument("--strict", action="store_true", help="exit 1 when a target is not met")
    b.set_defaults(func=cmd_bank_stats)
    b = bank.add_parser("confirm", help="record that questions were re-checked against the current law versions")
    b.add_argument("--law", help="the slug of the law whose questions were re-checked (default: only fill in missing)")
    b.add_argument("--dir")
    b.set_defaults(func=cmd_bank_confirm)
    b = bank.add_parser("export-xlsx", help="export the bank for review in Excel")
    b.add_argument("file")
    b.add_argument("--dir")
    b.set_defaults(func=cmd_bank_export)
    b = bank.add_parser("import-xlsx", help="import a reviewed workbook (all or nothing)")
    b.add_argument("file")
    b.add_argument("--dir")
    b.set_defaults(func=cmd_bank_import)

    sd = sub.add_parser("seed-demo", help="build the demo district")
    sd.add_argument("--password", help="set every demo password to this (otherwise random ones)")
    sd.add_argument("--credentials-out", help="write logins, roles and passwords to this .xlsx/.csv file")
    sd.add_argument("--officers", type=int, default=476)
    sd.add_argument("--reset", action="store_true", help="delete everything and seed again")
    sd.set_defaults(func=cmd_seed_demo)

    sw = sub.add_parser(
        "sweep",
        help="close and grade attempts past their deadline; send wrong answers of reviews "
        "opened since to the 错题本 (the server also does this every minute)",
    )
    sw.add_argument("--campaign", type=int)
    sw.set_defaults(func=cmd_sweep)

    rp = sub.add_parser("report", help="a campaign's completion report, or the year's paragraph (--year)")
    rp.add_argument("--campaign", type=int)
    rp.add_argument("--year", type=int, help="every campaign of the year and the year's study hours")
    rp.add_argument("--json", action="store_true")
    rp.add_argument("--xlsx")
    rp.set_defaults(func=cmd_report)

    ca = sub.add_parser("create-admin", help="create the first admin (asks for the password)")
    ca.add_argument("account")
    ca.add_argument("--name", default="系统管理员")
    ca.add_argument("--password-from-env", action="store_true", help="read TRAINING_APP_ADMIN_PASSWORD")
    ca.set_defaults(func=cmd_create_admin)

    au = sub.add_parser("audit", help="audit log").add_subparsers(dest="audit_cmd", required=True)
    au.add_parser("verify", help="check the hash chain; name the first break").set_defaults(func=cmd_audit_verify)

    bk = sub.add_parser("backup", help="online backup of the SQLite database")
    bk.add_argument("file")
    bk.set_defaults(func=cmd_backup)
    rs = sub.add_parser("restore", help="restore the SQLite database from a backup (app stopped)")
    rs.add_argument("file")
    rs.set_defaults(func=cmd_restore)

    be = sub.add_parser("bench", help="benchmarks against the bare database")
    be.add_argument("--scale", choices=("district", "city", "province"), default="district")
    be.add_argument("--json", action="store_true")
    be.add_argument("--database-url")
    be.set_defaults(func=cmd_bench)

    sub.add_parser(
        "loadtest",
        add_help=False,
        help="simulated officers on a running server through Streamlit's websocket protocol "
        "(`training-app loadtest --help`)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "loadtest":  # its own options (training_app/loadtest/runner.py); no settings needed
        from .loadtest.runner import main as loadtest_main

        return loadtest_main(argv[1:])
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from .bank import BankError
    from .services.common import ServiceError
    from .store.db import DatabaseUnavailable

    try:
        settings = load_settings()
        return args.func(args, settings)
    except DatabaseUnavailable as exc:
        return _die(str(exc))
    except ConfigError as exc:
        return _die(f"配置错误：{exc}")
    except BankError as exc:
        print(exc.report(), file=sys.stderr)
        return _die(f"题库有 {len(exc.issues)} 个问题，拒绝启动（先运行 `training-app bank check` 查看）")
    except ServiceError as exc:
        return _die(str(exc))


if __name__ == "__main__":
    sys.exit(main())
