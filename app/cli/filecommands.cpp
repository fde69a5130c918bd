// `jobs artifacts` and `jobs export`: what jobs produced, and the job table for other tools.
#include "client/artifactdownload.h"
#include "commands.h"
#include "exitcodes.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

namespace cd::cli {

namespace {

void artifactsOptions(QCommandLineParser &p)
{
    p.addOption({QStringLiteral("download"),
                 QStringLiteral("Download every artifact into DIR (resuming partial files; each is checked against "
                                "its sha256)."),
                 QStringLiteral("DIR")});
}

QCoro::Task<int> runArtifacts(Context &ctx)
{
    const auto id = co_await namedJob(ctx);
    if (id.exitCode)
        co_return id.exitCode;
    const auto list = co_await ctx.api.artifacts(id.id);
    if (!list)
        co_return fail(ctx, list.error());

    if (!ctx.args.isSet(QStringLiteral("download"))) {
        if (ctx.json) {
            QJsonArray out;
            for (const model::Artifact &a : list.value())
                out.append(a.toJson());
            ctx.out.json(out);
            co_return kExitOk;
        }
        QList<QList<Cell>> rows;
        for (const model::Artifact &a : list.value())
            rows << QList<Cell>{{a.name}, {humanSize(a.size)}, {a.mime}, {a.sha256.left(16), Colour::Grey}};
        ctx.out.table(
            {QStringLiteral("NAME"), QStringLiteral("SIZE"), QStringLiteral("TYPE"), QStringLiteral("SHA256")}, rows);
        co_return kExitOk;
    }

    const QDir dir(ctx.args.value(QStringLiteral("download")));
    if (!QDir().mkpath(dir.absolutePath())) {
        ctx.out.error(QStringLiteral("cannot create %1").arg(dir.absolutePath()));
        co_return kExitJobFailed;
    }
    QJsonArray done;
    for (const model::Artifact &a : list.value()) {
        // The server keeps names inside the job's directory; so does this side, whatever it is told.
        const QString target = QDir::cleanPath(dir.absoluteFilePath(a.name));
        if (!target.startsWith(QDir::cleanPath(dir.absolutePath()) + u'/')) {
            ctx.out.error(QStringLiteral("skipping '%1': the name leaves %2").arg(a.name, dir.absolutePath()));
            co_return kExitJobFailed;
        }
        client::ArtifactDownload download(&ctx.api, a, target);
        QObject::connect(&download, &client::ArtifactDownload::progress, &download, [&](qint64 got, qint64 total) {
            ctx.out.progress(QStringLiteral("%1  %2 of %3").arg(a.name, humanSize(got), humanSize(total)));
        });
        const auto result = co_await download.run();
        ctx.out.progress({});
        if (!result)
            co_return fail(ctx, result.error());
        if (ctx.json) {
            QJsonObject o = a.toJson();
            o.insert(QStringLiteral("path"), target);
            o.insert(QStringLiteral("resumed_from"), download.resumedFrom());
            done.append(o);
        } else {
            ctx.out.line(QStringLiteral("%1  %2%3")
                             .arg(target, humanSize(a.size),
                                  download.resumedFrom() > 0
                                      ? QStringLiteral(" (resumed at %1)").arg(humanSize(download.resumedFrom()))
                                      : QString()));
        }
    }
    if (ctx.json)
        ctx.out.json(done);
    co_return kExitOk;
}

void exportOptions(QCommandLineParser &p)
{
    p.addOption({QStringLiteral("csv"), QStringLiteral("Comma-separated values with a header line.")});
    p.addOption({QStringLiteral("since"),
                 QStringLiteral("Only jobs created at or after DATE (2026-11-01, or a time: 2026-11-01T08:00:00Z)."),
                 QStringLiteral("DATE")});
}

QString csvField(const QString &v)
{
    if (!v.contains(u',') && !v.contains(u'"') && !v.contains(u'\n') && !v.contains(u'\r'))
        return v;
    return u'"' + QString(v).replace(u'"', QStringLiteral("\"\"")) + u'"';
}

QStringList csvRow(const model::Job &j)
{
    QStringList keywords;
    for (const QJsonValue &k : j.params.value(QStringLiteral("keywords")).toArray())
        keywords << k.toString();
    const QJsonValue domains = j.params.value(QStringLiteral("domain_count"));
    return {j.id,
            j.kind,
            model::toString(j.backend),
            model::toString(j.status),
            j.outcome(),
            QString::number(j.progress),
            QString::number(j.attempt),
            model::isoUtc(j.createdAt),
            model::isoUtc(j.startedAt),
            model::isoUtc(j.finishedAt),
            j.startedAt.isValid() ? QString::number(j.durationSecs()) : QString(),
            keywords.join(u';'),
            domains.isUndefined() ? QString() : QString::number(domains.toInteger()),
            j.error};
}

QCoro::Task<int> runExport(Context &ctx)
{
    const bool csv = ctx.args.isSet(QStringLiteral("csv"));
    if (csv == ctx.json) {
        ctx.out.error(QStringLiteral("choose one format: --csv or --json"));
        co_return kExitUsage;
    }
    QDateTime since;
    if (ctx.args.isSet(QStringLiteral("since"))) {
        const QString text = ctx.args.value(QStringLiteral("since"));
        since = QDateTime::fromString(text, Qt::ISODateWithMs);
        if (!since.isValid()) {
            const QDate day = QDate::fromString(text, Qt::ISODate);
            if (day.isValid())
                since = day.startOfDay(); // local midnight, as a person means a date
        }
        if (!since.isValid()) {
            ctx.out.error(QStringLiteral("--since expects a date (2026-11-01) or a time (2026-11-01T08:00:00Z), got "
                                         "'%1'")
                              .arg(text));
            co_return kExitUsage;
        }
    }
    QList<model::Job> jobs;
    client::JobQuery q;
    q.limit = 1000;
    bool older = false;
    while (!older) {
        const auto page = co_await ctx.api.jobs(q);
        if (!page)
            co_return fail(ctx, page.error());
        for (const model::Job &j : page->jobs) {
            // Newest first: the first job older than --since ends the export.
            if (since.isValid() && j.createdAt < since) {
                older = true;
                break;
            }
            jobs << j;
        }
        if (page->nextBefore.isEmpty())
            break;
        q.before = page->nextBefore;
    }
    if (!csv) {
        QJsonArray out;
        for (const model::Job &j : jobs)
            out.append(j.toJson());
        ctx.out.json(out);
        co_return kExitOk;
    }
    ctx.out.line(QStringLiteral("id,kind,backend,status,outcome,progress,attempt,created_at,started_at,finished_at,"
                                "duration_s,keywords,domain_count,error"));
    for (const model::Job &j : jobs) {
        QStringList fields;
        for (const QString &f : csvRow(j))
            fields << csvField(f);
        ctx.out.line(fields.join(u','));
    }
    co_return kExitOk;
}

} // namespace

QList<Command> fileCommands()
{
    return {
        {QStringLiteral("artifacts"), QStringLiteral("ID [--download DIR]"),
         QStringLiteral("A job's result files; --download fetches them."), artifactsOptions, runArtifacts},
        {QStringLiteral("export"), QStringLiteral("--csv|--json [--since DATE]"),
         QStringLiteral("Every job (newest first) as CSV or JSON."), exportOptions, runExport},
    };
}

} // namespace cd::cli
