// Standalone RunPod emulator for manual runs:
//   crawldeck-runpod-emulator --port 8090 --key emu-key --endpoint ep-test
// then point Crawldeck at it with RUNPOD_ENDPOINT_URL=http://127.0.0.1:8090/v2/ep-test.
#include "runpodemulator.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    p.addHelpOption();
    p.addOptions(
        {{QStringLiteral("port"), QStringLiteral("port (0 = any)"), QStringLiteral("n"), QStringLiteral("8090")},
         {QStringLiteral("key"), QStringLiteral("API key"), QStringLiteral("key"), QStringLiteral("emu-key")},
         {QStringLiteral("endpoint"), QStringLiteral("endpoint id"), QStringLiteral("id"), QStringLiteral("ep-test")},
         {QStringLiteral("run-ms"), QStringLiteral("default run time"), QStringLiteral("ms"), QStringLiteral("5000")}});
    p.process(app);
    cdtest::RunPodEmulator emu(p.value(QStringLiteral("key")), p.value(QStringLiteral("endpoint")));
    cdtest::EmuScript s;
    s.runMs = p.value(QStringLiteral("run-ms")).toInt();
    for (int i = 1; i <= 4; ++i)
        s.progress.append({s.runMs * i / 5, QStringLiteral("[INFO] Progress: %1% - step %2/5").arg(i * 20).arg(i)});
    s.callbacks = {QStringLiteral("[INFO] worker started"), QStringLiteral("[SUCCESS] worker done")};
    s.output = QJsonObject{
        {QStringLiteral("status"), QStringLiteral("success")},
        {QStringLiteral("domains"), QJsonArray{QStringLiteral("example-1.com"), QStringLiteral("example-2.com")}},
        {QStringLiteral("result_url"), QStringLiteral("{files}/result.csv")}};
    emu.serveFile(QStringLiteral("result.csv"), "domain\nexample-1.com\nexample-2.com\n");
    emu.setDefaultScript(s);
    if (!emu.listen(static_cast<quint16>(p.value(QStringLiteral("port")).toUInt()))) {
        std::fprintf(stderr, "cannot listen\n");
        return 1;
    }
    std::printf("RunPod emulator: RUNPOD_ENDPOINT_URL=%s RUNPOD_API_KEY=%s\n",
                emu.endpointUrl().toString().toUtf8().constData(), emu.apiKey().toUtf8().constData());
    std::fflush(stdout);
    return app.exec();
}
