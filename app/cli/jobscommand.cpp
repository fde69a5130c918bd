#include "jobscommand.h"

#include "commands.h"
#include "exitcodes.h"
#include "jobs/jobspec.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcessEnvironment>

#include <QCoro/QCoroTask>

namespace cd::cli {

using client::ClientError;
using model::Job;

int exitCodeFor(const ClientError &error)
{
    switch (error.kind) {
    case ClientError::Kind::Network:
    case ClientError::Kind::Timeout: return kExitUnreachable;
    case ClientError::Kind::Http:
        if (error.status == 401 || error.status == 403 || error.status == 429)
            return kExitAuth;
        if (error.status == 404)
            return kExitNotFound;
        if (error.status == 400 || error.status == 422)
            return kExitUsage;
        return kExitJobFailed;
    default: return kExitJobFailed;
    }
}

int fail(const Context &ctx, const ClientError &error)
{
    ctx.out.error(error.describe());
    if (error.kind == ClientError::Kind::Http && error.status == 401)
        ctx.out.error(ctx.connection.token.isEmpty()
                          ? QStringLiteral("no API token: set CRAWLDECK_API_TOKEN, or token=... in %1 (mode 0600)")
                                .arg(Connection::configPath(QProcessEnvironment::systemEnvironment()))
                          : QStringLiteral("the token from %1 was refused by %2")
                                .arg(ctx.connection.tokenSource, ctx.connection.url.toDisplayString()));
    return exitCodeFor(error);
}

void noOptions(QCommandLineParser &) {}

std::optional<QString> positionalId(const Context &ctx)
{
    const QStringList pos = ctx.args.positionalArguments();
    if (pos.size() == 1 && !pos.first().isEmpty())
        return pos.first();
    ctx.out.error(pos.isEmpty() ? QStringLiteral("a job id is required")
                                : QStringLiteral("one job id only, got %1").arg(pos.size()));
    return std::nullopt;
}

QCoro::Task<ResolvedId> namedJob(Context &ctx)
{
    const auto prefix = positionalId(ctx);
    if (!prefix)
        co_return ResolvedId{{}, kExitUsage};
    co_return co_await resolveJobId(ctx, *prefix);
}

QCoro::Task<ResolvedId> resolveJobId(Context &ctx, QString prefix)
{
    prefix = prefix.toLower();
    if (prefix.size() >= 36)
        co_return ResolvedId{prefix, 0};
    client::JobQuery q;
    q.text = prefix;
    q.limit = 1000;
    QStringList matches;
    for (;;) {
        const auto page = co_await ctx.api.jobs(q);
        if (!page)
            co_return ResolvedId{{}, fail(ctx, page.error())};
        for (const Job &j : page->jobs)
            if (j.id.startsWith(prefix))
                matches << j.id;
        if (page->nextBefore.isEmpty() || matches.size() > 10)
            break;
        q.before = page->nextBefore;
    }
    if (matches.size() == 1)
        co_return ResolvedId{matches.first(), 0};
    if (matches.isEmpty()) {
        ctx.out.error(QStringLiteral("no job with an id starting '%1'").arg(prefix));
        co_return ResolvedId{{}, kExitNotFound};
    }
    ctx.out.error(QStringLiteral("'%1' is ambiguous; it starts %2:")
                      .arg(prefix)
                      .arg(matches.size() > 10 ? QStringLiteral("more than 10 jobs")
                                               : QStringLiteral("%1 jobs").arg(matches.size())));
    for (const QString &m : matches.mid(0, 10))
        ctx.out.error(QStringLiteral("  ") + m);
    co_return ResolvedId{{}, kExitUsage};
}

namespace {

QString localTime(const QDateTime &t)
{
    return t.isValid() ? t.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) : QStringLiteral("-");
}

QString detailOf(const Job &j)
{
    if (!j.error.isEmpty())
        return j.error;
    QStringList keywords;
    for (const QJsonValue &k : j.params.value(QStringLiteral("keywords")).toArray())
        keywords << k.toString();
    return keywords.join(QStringLiteral(", "));
}

QJsonArray jsonOf(const QList<Job> &jobs)
{
    QJsonArray out;
    for (const Job &j : jobs)
        out.append(j.toJson());
    return out;
}

// --- list ---------------------------------------------------------------------------------------

void listOptions(QCommandLineParser &p)
{
    p.addOption({QStringLiteral("status"), QStringLiteral("Only jobs with this status (repeat or comma-separate)."),
                 QStringLiteral("S")});
    p.addOption({QStringLiteral("backend"), QStringLiteral("Only jobs on this backend."), QStringLiteral("B")});
    p.addOption({QStringLiteral("q"), QStringLiteral("Only jobs matching TEXT (id prefix, kind, error, params)."),
                 QStringLiteral("TEXT")});
    p.addOption({QStringLiteral("limit"), QStringLiteral("At most N jobs, newest first (default 50)."),
                 QStringLiteral("N"), QStringLiteral("50")});
}

QCoro::Task<int> runList(Context &ctx)
{
    bool ok = false;
    const int limit = ctx.args.value(QStringLiteral("limit")).toInt(&ok);
    if (!ok || limit < 1) {
        ctx.out.error(QStringLiteral("--limit expects a whole number of at least 1"));
        co_return kExitUsage;
    }
    client::JobQuery q;
    for (const QString &s : ctx.args.values(QStringLiteral("status")))
        q.statuses << s.split(u',', Qt::SkipEmptyParts);
    q.backend = ctx.args.value(QStringLiteral("backend"));
    q.text = ctx.args.value(QStringLiteral("q"));
    QList<Job> jobs;
    while (jobs.size() < limit) {
        q.limit = qMin<int>(1000, limit - static_cast<int>(jobs.size()));
        const auto page = co_await ctx.api.jobs(q);
        if (!page)
            co_return fail(ctx, page.error());
        jobs += page->jobs;
        if (page->nextBefore.isEmpty())
            break;
        q.before = page->nextBefore;
    }
    if (ctx.json) {
        ctx.out.json(jsonOf(jobs));
        co_return kExitOk;
    }
    QList<QList<Cell>> rows;
    for (const Job &j : jobs)
        rows << QList<Cell>{{j.id.left(8)},
                            {j.statusText(), statusColour(model::toString(j.status))},
                            {model::toString(j.backend)},
                            {QStringLiteral("%1%").arg(j.progress)},
                            {localTime(j.createdAt)},
                            {humanDuration(j.durationSecs())},
                            {detailOf(j)}};
    ctx.out.table({QStringLiteral("ID"), QStringLiteral("STATUS"), QStringLiteral("BACKEND"),
                   QStringLiteral("PROGRESS"), QStringLiteral("CREATED"), QStringLiteral("DURATION"),
                   QStringLiteral("DETAIL")},
                  rows);
    co_return kExitOk;
}

// --- show ---------------------------------------------------------------------------------------

void printJob(const Context &ctx, const Job &j)
{
    auto field = [&](const QString &name, const QString &value, Colour c = Colour::None) {
        if (!value.isEmpty())
            ctx.out.line(ctx.out.paint(name.leftJustified(12), Colour::Bold) + ctx.out.paint(value, c));
    };
    auto compact = [](const QJsonObject &o) {
        return o.isEmpty() ? QString() : QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
    };
    field(QStringLiteral("id"), j.id);
    field(QStringLiteral("status"), j.statusText(), statusColour(model::toString(j.status)));
    field(QStringLiteral("backend"), model::toString(j.backend));
    field(QStringLiteral("kind"), j.kind);
    field(QStringLiteral("progress"), QStringLiteral("%1%").arg(j.progress));
    field(QStringLiteral("attempt"), QStringLiteral("%1 of %2").arg(j.attempt).arg(j.maxAttempts));
    field(QStringLiteral("params"), compact(j.params));
    field(QStringLiteral("created"), localTime(j.createdAt));
    if (j.startedAt.isValid())
        field(QStringLiteral("started"), localTime(j.startedAt));
    if (j.finishedAt.isValid())
        field(QStringLiteral("finished"), localTime(j.finishedAt));
    if (j.startedAt.isValid())
        field(QStringLiteral("duration"), humanDuration(j.durationSecs()));
    field(QStringLiteral("node"), j.node);
    field(QStringLiteral("remote id"), j.remoteId);
    field(QStringLiteral("retry of"), j.retryOf);
    field(QStringLiteral("error"), j.error, Colour::Red);
    if (j.exitCode)
        field(QStringLiteral("exit code"), QString::number(*j.exitCode));
    field(QStringLiteral("log lines"), QString::number(j.logCount));
    field(QStringLiteral("summary"), compact(j.summary));
}

QCoro::Task<int> runShow(Context &ctx)
{
    const auto id = co_await namedJob(ctx);
    if (id.exitCode)
        co_return id.exitCode;
    const auto job = co_await ctx.api.job(id.id);
    if (!job)
        co_return fail(ctx, job.error());
    if (ctx.json)
        ctx.out.json(job->toJson());
    else
        printJob(ctx, job.value());
    co_return kExitOk;
}

// --- start --------------------------------------------------------------------------------------

void startOptions(QCommandLineParser &p)
{
    p.addOption({QStringLiteral("backend"), QStringLiteral("local, runpod or runpod-pod (default local)."),
                 QStringLiteral("B"), QStringLiteral("local")});
    p.addOption(
        {QStringLiteral("keywords"), QStringLiteral("Keywords (repeat or comma-separate)."), QStringLiteral("K")});
    p.addOption({QStringLiteral("domains"), QStringLiteral("How many domains to find."), QStringLiteral("N")});
    p.addOption({QStringLiteral("url"),
                 QStringLiteral("A start URL (repeatable). The server is `crawldeck jobs --url "
                                "SERVER start ...` or CRAWLDECK_URL."),
                 QStringLiteral("U")});
    p.addOption({QStringLiteral("param"),
                 QStringLiteral("A worker parameter; VALUE is read as JSON when it is "
                                "(numbers, true/false), else as text (repeatable)."),
                 QStringLiteral("k=v")});
    p.addOption({QStringLiteral("profile"),
                 QStringLiteral("The local command profile (default: the built-in crawler)."), QStringLiteral("P")});
}

QCoro::Task<int> runStart(Context &ctx)
{
    if (!ctx.args.positionalArguments().isEmpty()) {
        ctx.out.error(QStringLiteral("unexpected argument '%1'").arg(ctx.args.positionalArguments().first()));
        co_return kExitUsage;
    }
    QJsonObject params;
    for (const QString &kv : ctx.args.values(QStringLiteral("param"))) {
        const qsizetype eq = kv.indexOf(u'=');
        if (eq <= 0) {
            ctx.out.error(QStringLiteral("--param expects KEY=VALUE, got '%1'").arg(kv));
            co_return kExitUsage;
        }
        if (params.contains(kv.left(eq))) {
            ctx.out.error(QStringLiteral("--param %1 is given twice: give each parameter once").arg(kv.left(eq)));
            co_return kExitUsage;
        }
        const QString value = kv.mid(eq + 1);
        const QJsonArray parsed = QJsonDocument::fromJson(QByteArray('[' + value.toUtf8() + ']')).array();
        params.insert(kv.left(eq), parsed.size() == 1 ? parsed.first() : QJsonValue(value));
    }
    QJsonObject body{{QStringLiteral("backend"), ctx.args.value(QStringLiteral("backend"))},
                     {QStringLiteral("params"), params}};
    QJsonArray keywords;
    for (const QString &k : ctx.args.values(QStringLiteral("keywords")))
        for (const QString &part : k.split(u',', Qt::SkipEmptyParts))
            keywords.append(part.trimmed());
    if (!keywords.isEmpty())
        body.insert(QStringLiteral("keywords"), keywords);
    if (ctx.args.isSet(QStringLiteral("domains")))
        body.insert(QStringLiteral("domain_count"), ctx.args.value(QStringLiteral("domains")));
    if (ctx.args.isSet(QStringLiteral("url")))
        body.insert(QStringLiteral("start_urls"), QJsonArray::fromStringList(ctx.args.values(QStringLiteral("url"))));
    if (ctx.args.isSet(QStringLiteral("profile")))
        body.insert(QStringLiteral("profile"), ctx.args.value(QStringLiteral("profile")));
    // The same validation the server and the GUI run, before anything is sent.
    const auto spec = jobs::fromJson(body, jobs::Origin::Api);
    if (!spec) {
        ctx.out.error(spec.error().detail);
        co_return kExitUsage;
    }
    const auto created = co_await ctx.api.createJob(spec.value());
    if (!created)
        co_return fail(ctx, created.error());
    if (ctx.json) {
        QJsonObject o = created->job.toJson();
        o.insert(QStringLiteral("callback_url"), created->callbackUrl);
        ctx.out.json(o);
    } else {
        // The id alone, so that `id=$(crawldeck jobs start ...)` works; `jobs show` tells the rest.
        ctx.out.line(created->job.id);
    }
    co_return kExitOk;
}

// --- cancel, retry ------------------------------------------------------------------------------

QCoro::Task<int> runCancel(Context &ctx)
{
    const auto id = co_await namedJob(ctx);
    if (id.exitCode)
        co_return id.exitCode;
    const auto job = co_await ctx.api.cancelJob(id.id);
    if (!job)
        co_return fail(ctx, job.error());
    if (ctx.json)
        ctx.out.json(job->toJson());
    else
        ctx.out.line(QStringLiteral("%1 %2").arg(
            job->id, ctx.out.paint(job->statusText(), statusColour(model::toString(job->status)))));
    co_return kExitOk;
}

QCoro::Task<int> runRetry(Context &ctx)
{
    const auto id = co_await namedJob(ctx);
    if (id.exitCode)
        co_return id.exitCode;
    const auto job = co_await ctx.api.retryJob(id.id);
    if (!job)
        co_return fail(ctx, job.error());
    if (ctx.json)
        ctx.out.json(job->toJson());
    else
        ctx.out.line(QStringLiteral("%1 %2 (attempt %3 of %4, retry of %5)")
                         .arg(job->id, ctx.out.paint(job->statusText(), statusColour(model::toString(job->status))))
                         .arg(job->attempt)
                         .arg(job->maxAttempts)
                         .arg(job->retryOf));
    co_return kExitOk;
}

// --- dispatch -----------------------------------------------------------------------------------

QList<Command> allCommands()
{
    return jobCommands() + followCommands() + fileCommands();
}

QString overview()
{
    QString text = QStringLiteral(
        "Usage: crawldeck jobs [--url SERVER] [--json] COMMAND [options]\n\n"
        "Drives a Crawldeck server over its HTTP API. The server is --url, else CRAWLDECK_URL, else url= in\n"
        "the config file, else http://127.0.0.1:8000. The token is CRAWLDECK_API_TOKEN, else token= in\n"
        "~/.config/crawldeck/client.ini (which must be mode 0600), else, for a server on this machine, the\n"
        "saved token of the local data directory.\n\nCommands:\n");
    for (const Command &c : allCommands())
        text += QStringLiteral("  %1 %2\n      %3\n").arg(c.name, c.usage, c.summary);
    text += QStringLiteral("\n`crawldeck jobs COMMAND --help` describes a command's options.\n"
                           "Exit codes: 0 ok, 1 the job failed (or another error), 2 usage, 3 not found, 4 "
                           "authentication, 5 server unreachable.\n");
    return text;
}

} // namespace

QList<Command> jobCommands()
{
    return {
        {QStringLiteral("list"), QStringLiteral("[--status S] [--backend B] [-q TEXT] [--limit N]"),
         QStringLiteral("Jobs, newest first."), listOptions, runList},
        {QStringLiteral("start"),
         QStringLiteral("--backend B --keywords K --domains N [--url U]... [--param k=v]... [--profile P]"),
         QStringLiteral("Create a job; prints its id."), startOptions, runStart},
        {QStringLiteral("show"), QStringLiteral("ID"), QStringLiteral("One job in detail."), noOptions, runShow},
        {QStringLiteral("cancel"), QStringLiteral("ID"), QStringLiteral("Cancel a job."), noOptions, runCancel},
        {QStringLiteral("retry"), QStringLiteral("ID"),
         QStringLiteral("Run a failed, timed-out or cancelled job again."), noOptions, runRetry},
    };
}

int runJobsCommand(const QStringList &args)
{
    const Output out;
    std::optional<QString> url;
    bool json = false;
    qsizetype i = 1;
    // Options before the command name are the command line's own: the server and the format.
    for (; i < args.size(); ++i) {
        const QString &a = args.at(i);
        const bool urlOption = (a == u"--url" && i + 1 < args.size()) || a.startsWith(u"--url=");
        if (urlOption && url) {
            out.error(QStringLiteral("--url is given twice: name one server"));
            return kExitUsage;
        }
        if (a == u"--url" && i + 1 < args.size()) {
            url = args.at(++i);
        } else if (a.startsWith(u"--url=")) {
            url = a.mid(6);
        } else if (a == u"--json") {
            json = true;
        } else if (a == u"-h" || a == u"--help") {
            std::printf("%s", overview().toUtf8().constData());
            return kExitOk;
        } else if (a.startsWith(u'-')) {
            out.error(QStringLiteral("unknown option '%1'").arg(a));
            std::fprintf(stderr, "\n%s", overview().toUtf8().constData());
            return kExitUsage;
        } else {
            break;
        }
    }
    if (i >= args.size()) {
        std::fprintf(stderr, "%s", overview().toUtf8().constData());
        return kExitUsage;
    }
    const QList<Command> commands = allCommands();
    const auto it =
        std::find_if(commands.begin(), commands.end(), [&](const Command &c) { return c.name == args.at(i); });
    if (it == commands.end()) {
        out.error(QStringLiteral("unknown command 'jobs %1'").arg(args.at(i)));
        std::fprintf(stderr, "\n%s", overview().toUtf8().constData());
        return kExitUsage;
    }
    const Command &command = *it;
    // `start` takes start URLs with --url; everywhere else --url is the server.
    const bool urlIsServer = command.name != u"start";
    QCommandLineParser p;
    p.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    p.setApplicationDescription(command.summary);
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Machine-readable JSON output."));
    p.addOption(help);
    p.addOption(jsonOption);
    if (urlIsServer)
        p.addOption({QStringLiteral("url"),
                     QStringLiteral("The server (default: CRAWLDECK_URL or http://127.0.0.1:8000)."),
                     QStringLiteral("SERVER")});
    command.options(p);
    const QString usage = QStringLiteral("Usage: crawldeck jobs %1 %2").arg(command.name, command.usage);
    if (!p.parse(QStringList{args.first()} + args.mid(i + 1))) {
        out.error(p.errorText());
        std::fprintf(stderr, "%s\n(crawldeck jobs %s --help for more)\n", usage.toUtf8().constData(),
                     command.name.toUtf8().constData());
        return kExitUsage;
    }
    // An option given twice is ambiguous (which one was meant?) unless it is a list.
    static const QStringList kRepeatable{QStringLiteral("status"), QStringLiteral("keywords"), QStringLiteral("param")};
    QStringList seen;
    for (const QString &name : p.optionNames()) {
        const bool list = kRepeatable.contains(name) || (name == u"url" && !urlIsServer);
        if (seen.contains(name) && !list) {
            out.error(QStringLiteral("--%1 is given twice: give it once").arg(name));
            return kExitUsage;
        }
        seen << name;
    }
    if (urlIsServer && url && p.isSet(QStringLiteral("url"))) {
        out.error(QStringLiteral("--url is given twice: name one server"));
        return kExitUsage;
    }
    if (p.isSet(help)) {
        QString text = p.helpText();
        text.replace(0, text.indexOf(u'\n'), usage);
        std::printf("%s", text.toUtf8().constData());
        return kExitOk;
    }
    json = json || p.isSet(jsonOption);
    if (urlIsServer && p.isSet(QStringLiteral("url")))
        url = p.value(QStringLiteral("url"));
    const auto connection = Connection::resolve(url, QProcessEnvironment::systemEnvironment());
    if (!connection) {
        out.error(connection.error());
        return kExitUsage;
    }
    client::ClientConfig config;
    config.baseUrl = connection->url;
    config.token = connection->token;
    client::ApiClient api(config);
    Context ctx{api, out, connection.value(), p, json};
    return QCoro::waitFor(command.run(ctx));
}

} // namespace cd::cli
