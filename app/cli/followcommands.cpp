// `jobs logs` and `jobs wait`: reading a job's log, and following it or its status until it ends.
#include "client/jobwatcher.h"
#include "client/ssereader.h"
#include "commands.h"
#include "exitcodes.h"
#include "logs/logparser.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <QCoro/QCoroSignal>

namespace cd::cli {

using client::ClientError;
using client::SseReader;

// Reconnecting to a server that went away (a restart) is worth this long before giving up.
constexpr int kReconnectForMs = 60000;

QString logLineText(const Output &out, const QString &level, const QString &message)
{
    return out.paint(message, levelColour(level));
}

namespace {

int exitForStatus(const QString &status)
{
    return status == u"completed" ? kExitOk : kExitJobFailed;
}

void logsOptions(QCommandLineParser &p)
{
    p.addOption({QStringLiteral("f"), QStringLiteral("Follow: print lines as they come until the job ends (survives a "
                                                     "server restart); exits 0 if the job completed, 1 otherwise.")});
    p.addOption({QStringLiteral("level"),
                 QStringLiteral("Only lines at these levels (DEBUG, INFO, SUCCESS, WARNING, ERROR, SUMMARY; "
                                "comma-separate). When following, the level is read from the line's tag."),
                 QStringLiteral("L")});
    p.addOption({QStringLiteral("grep"), QStringLiteral("Only lines containing TEXT (case-insensitive)."),
                 QStringLiteral("TEXT")});
}

QCoro::Task<int> followLog(Context &ctx, const QString &id, const QStringList &levels, const QString &grep)
{
    SseReader reader(&ctx.api, QStringLiteral("/api/crawler/logs/") + id);
    reader.setEndEvent(QStringLiteral("end"));
    reader.setGiveUpAfterMs(kReconnectForMs);
    QString endStatus;
    std::optional<ClientError> error;
    QObject::connect(&reader, &SseReader::event, &reader, [&](const client::SseEvent &e) {
        if (e.event == u"end") {
            endStatus = QJsonDocument::fromJson(e.data).object().value(QStringLiteral("status")).toString();
            return;
        }
        if (e.event != u"message")
            return;
        const QString message = QString::fromUtf8(e.data);
        const QString level = model::toString(logs::LogParser::parse(message, model::LogSource::Stdout).level);
        if ((!levels.isEmpty() && !levels.contains(level)) ||
            (!grep.isEmpty() && !message.contains(grep, Qt::CaseInsensitive)))
            return;
        if (ctx.json)
            ctx.out.json(QJsonObject{{QStringLiteral("seq"), e.id.toLongLong()},
                                     {QStringLiteral("level"), level},
                                     {QStringLiteral("message"), message}},
                         true);
        else
            ctx.out.line(logLineText(ctx.out, level, message));
    });
    QObject::connect(&reader, &SseReader::failed, &reader, [&](const ClientError &e) { error = e; });
    QObject::connect(&reader, &SseReader::stateChanged, &reader, [&](SseReader::State s) {
        if (s == SseReader::State::Reconnecting && !ctx.json)
            ctx.out.progress(QStringLiteral("(reconnecting to %1)").arg(ctx.connection.url.toDisplayString()));
        else if (s == SseReader::State::Connected)
            ctx.out.progress({});
    });
    reader.start();
    while (reader.state() != SseReader::State::Finished && reader.state() != SseReader::State::Failed)
        co_await qCoro(&reader, &SseReader::stateChanged);
    if (error)
        co_return fail(ctx, *error);
    co_return exitForStatus(endStatus);
}

QCoro::Task<int> runLogs(Context &ctx)
{
    const auto prefix = positionalId(ctx);
    if (!prefix)
        co_return kExitUsage;
    QStringList levels;
    for (const QString &l : ctx.args.value(QStringLiteral("level")).split(u',', Qt::SkipEmptyParts)) {
        const auto level = model::logLevelFromString(l.trimmed());
        if (!level) {
            ctx.out.error(QStringLiteral("--level: unknown level '%1'; known: DEBUG, INFO, SUCCESS, WARNING, ERROR, "
                                         "SUMMARY")
                              .arg(l));
            co_return kExitUsage;
        }
        levels << model::toString(*level);
    }
    const QString grep = ctx.args.value(QStringLiteral("grep"));
    const auto id = co_await resolveJobId(ctx, *prefix);
    if (id.exitCode)
        co_return id.exitCode;
    if (ctx.args.isSet(QStringLiteral("f")))
        co_return co_await followLog(ctx, id.id, levels, grep);

    client::LogQuery q;
    q.limit = 10000;
    q.levels = levels;
    q.text = grep;
    for (;;) {
        const auto page = co_await ctx.api.logs(id.id, q);
        if (!page)
            co_return fail(ctx, page.error());
        for (const model::LogLine &l : page->lines) {
            if (ctx.json)
                ctx.out.json(l.toJson(), true);
            else
                ctx.out.line(logLineText(ctx.out, model::toString(l.level), l.message));
        }
        if (!page->hasMore)
            break;
        q.after = page->nextAfter;
    }
    co_return kExitOk;
}

QCoro::Task<int> runWait(Context &ctx)
{
    const auto id = co_await namedJob(ctx);
    if (id.exitCode)
        co_return id.exitCode;
    client::JobWatcher watcher(&ctx.api, id.id);
    watcher.setGiveUpAfterMs(kReconnectForMs);
    QObject::connect(&watcher, &client::JobWatcher::changed, &watcher, [&](const model::Job &j) {
        if (!ctx.json)
            ctx.out.progress(QStringLiteral("%1 %2 %3%").arg(j.id.left(8), j.statusText()).arg(j.progress));
    });
    const auto job = co_await watcher.untilSettled();
    ctx.out.progress({});
    if (!job)
        co_return fail(ctx, job.error());
    if (ctx.json)
        ctx.out.json(job->toJson());
    else
        ctx.out.line(QStringLiteral("%1 %2%3").arg(
            job->id, ctx.out.paint(job->statusText(), statusColour(model::toString(job->status))),
            job->error.isEmpty() ? QString() : QStringLiteral(": ") + job->error));
    co_return exitForStatus(model::toString(job->status));
}

} // namespace

QList<Command> followCommands()
{
    return {
        {QStringLiteral("logs"), QStringLiteral("ID [-f] [--level L] [--grep TEXT]"),
         QStringLiteral("A job's log; -f follows it until the job ends."), logsOptions, runLogs},
        {QStringLiteral("wait"), QStringLiteral("ID"),
         QStringLiteral("Wait for a job to end; exit 0 if it completed, 1 otherwise."), noOptions, runWait},
    };
}

} // namespace cd::cli
