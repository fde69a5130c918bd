#include "application.h"
#include "cli/jobscommand.h"
#include "commandline.h"
#include "crawler/crawlworker.h"
#include "settings/settings.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>
#include <cstring>

namespace {
void identify()
{
    // Static setters: they work before any application object exists (the help text reads them).
    QCoreApplication::setOrganizationName(QStringLiteral("crawldeck"));
    QCoreApplication::setApplicationName(QStringLiteral("crawldeck"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CRAWLDECK_VERSION));
}

QStringList argumentsOf(int argc, char **argv)
{
    QStringList args;
    for (int i = 0; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    return args;
}

void printErr(const QString &text)
{
    std::fprintf(stderr, "crawldeck: %s\n", text.toLocal8Bit().constData());
}

// `crawldeck token [--data-dir DIR]`: the saved API token, for whoever can read the data directory.
int printToken(const QStringList &args)
{
    QCommandLineParser p;
    const QCommandLineOption dataDir(QStringLiteral("data-dir"), QStringLiteral("The data directory."),
                                     QStringLiteral("DIR"));
    p.addOption(dataDir);
    if (!p.parse(args) || !p.positionalArguments().isEmpty()) {
        std::fprintf(stderr, "usage: crawldeck token [--data-dir DIR]\n");
        return 2;
    }
    cd::settings::Overrides o;
    if (p.isSet(dataDir))
        o.dataDir = p.value(dataDir);
    const QString dir = cd::settings::Settings::resolveDataDir(o, QProcessEnvironment::systemEnvironment());
    const auto token = cd::settings::Settings::savedApiToken(dir);
    if (!token) {
        printErr(token.error().detail);
        return 1;
    }
    std::printf("%s\n", token->toUtf8().constData());
    return 0;
}
} // namespace

int main(int argc, char **argv)
{
    identify();
    // GUI or not is decided here, before any Qt application object exists: headless, worker, token,
    // jobs, --help and --version runs never load a platform plugin and need no display.
    if (argc >= 2 && std::strcmp(argv[1], "worker") == 0) {
        QCoreApplication app(argc, argv);
        QStringList args = QCoreApplication::arguments();
        if (args.size() < 3 || args.at(2) != u"crawl") {
            std::fprintf(stderr, "usage: crawldeck worker crawl [--params FILE] [--output DIR]\n");
            return 2;
        }
        args.remove(1, 2); // keep argv[0] for the parser
        return cd::crawler::CrawlWorker::run(args);
    }
    if (argc >= 2 && std::strcmp(argv[1], "jobs") == 0) {
        QCoreApplication app(argc, argv);
        QStringList args = QCoreApplication::arguments();
        args.removeAt(1);
        return cd::cli::runJobsCommand(args);
    }
    if (argc >= 2 && std::strcmp(argv[1], "token") == 0) {
        QStringList args = argumentsOf(argc, argv);
        args.removeAt(1);
        return printToken(args);
    }

    const auto cl = cd::app::CommandLine::parse(argumentsOf(argc, argv));
    if (!cl.error.isEmpty()) {
        std::fprintf(stderr, "crawldeck: %s\n\n%s", cl.error.toLocal8Bit().constData(),
                     cl.helpText.toLocal8Bit().constData());
        return 2;
    }
    if (cl.showHelp) {
        std::printf("%s", cl.helpText.toLocal8Bit().constData());
        return 0;
    }
    if (cl.showVersion) {
        std::printf("crawldeck %s\n", CRAWLDECK_VERSION);
        return 0;
    }
    for (const QString &w : cl.warnings)
        printErr(w);
    if (const QString bad = cd::settings::Settings::urlProblem(cl.overrides, QProcessEnvironment::systemEnvironment());
        !bad.isEmpty()) {
        printErr(bad);
        return 2;
    }

    std::unique_ptr<QCoreApplication> app;
    if (cl.headless)
        app = std::make_unique<QCoreApplication>(argc, argv);
    else
        app = std::make_unique<QApplication>(argc, argv);
    cd::app::Application application(cl);
    return cl.headless ? application.runHeadless() : application.runGui();
}
