#include "application.h"
#include "commandline.h"
#include "crawler/crawlworker.h"

#include <QApplication>
#include <QCoreApplication>

#include <cstdio>
#include <cstring>

namespace {
void identify()
{
    QCoreApplication::setOrganizationName(QStringLiteral("crawldeck"));
    QCoreApplication::setApplicationName(QStringLiteral("crawldeck"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CRAWLDECK_VERSION));
}
} // namespace

int main(int argc, char **argv)
{
    // GUI or not is decided here, before any Qt application object exists: headless and worker runs
    // never load a platform plugin and need no display.
    if (argc >= 2 && std::strcmp(argv[1], "worker") == 0) {
        QCoreApplication app(argc, argv);
        identify();
        QStringList args = QCoreApplication::arguments();
        if (args.size() < 3 || args.at(2) != u"crawl") {
            std::fprintf(stderr, "usage: crawldeck worker crawl [--params FILE] [--output DIR]\n");
            return 2;
        }
        args.remove(1, 2); // keep argv[0] for the parser
        return cd::crawler::CrawlWorker::run(args);
    }
    bool headless = false;
    for (int i = 1; i < argc; ++i)
        headless = headless || std::strcmp(argv[i], "--headless") == 0;

    std::unique_ptr<QCoreApplication> app;
    if (headless)
        app = std::make_unique<QCoreApplication>(argc, argv);
    else
        app = std::make_unique<QApplication>(argc, argv);
    identify();

    const auto cl = cd::app::CommandLine::parse(QCoreApplication::arguments());
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
    cd::app::Application application(cl);
    return headless ? application.runHeadless() : application.runGui();
}
