#include "pgcluster.h"

#include <QDir>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QUuid>

#include <unistd.h>

namespace cdtest {

PgCluster &PgCluster::instance()
{
    static PgCluster cluster;
    return cluster;
}

bool PgCluster::run(const QString &program, const QStringList &args, QString *output) const
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    if (m_asPostgres)
        p.start(QStringLiteral("runuser"),
                QStringList{QStringLiteral("-u"), QStringLiteral("postgres"), QStringLiteral("--"), program} + args);
    else
        p.start(program, args);
    const bool ok = p.waitForFinished(60000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    if (output)
        *output = QString::fromLocal8Bit(p.readAll());
    return ok;
}

PgCluster::PgCluster()
{
    QStringList versions = QDir(QStringLiteral("/usr/lib/postgresql")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    std::sort(versions.begin(), versions.end(),
              [](const QString &a, const QString &b) { return a.toInt() > b.toInt(); });
    for (const QString &v : versions)
        if (QFile::exists(QStringLiteral("/usr/lib/postgresql/%1/bin/initdb").arg(v))) {
            m_bin = QStringLiteral("/usr/lib/postgresql/%1/bin").arg(v);
            break;
        }
    if (m_bin.isEmpty()) {
        m_missing = true;
        m_whyNot = QStringLiteral("initdb/pg_ctl not found under /usr/lib/postgresql (apt-get install postgresql)");
        return;
    }
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QPSQL"))) {
        m_missing = true;
        m_whyNot = QStringLiteral("Qt's QPSQL driver is missing (apt-get install libqt6sql6-psql)");
        return;
    }
    // initdb refuses to run as root.
    m_asPostgres = ::geteuid() == 0;
    m_dir = QDir::tempPath() + QStringLiteral("/crawldeck-pg-") + QUuid::createUuid().toString(QUuid::Id128).left(12);
    QDir().mkpath(m_dir);
    QString out;
    if (m_asPostgres && QProcess::execute(QStringLiteral("chown"), {QStringLiteral("postgres:"), m_dir}) != 0) {
        m_whyNot = QStringLiteral("running as root and cannot hand %1 to the postgres user").arg(m_dir);
        return;
    }
    const QString data = m_dir + QStringLiteral("/data");
    if (!run(m_bin + QStringLiteral("/initdb"),
             {QStringLiteral("-D"), data, QStringLiteral("-A"), QStringLiteral("trust"), QStringLiteral("-U"),
              QStringLiteral("crawldeck"), QStringLiteral("-E"), QStringLiteral("UTF8"), QStringLiteral("--locale=C"),
              QStringLiteral("--no-sync")},
             &out)) {
        m_whyNot = QStringLiteral("initdb failed: ") + out.right(400);
        return;
    }
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    const quint16 port = probe.serverPort();
    probe.close();
    m_opts = QStringLiteral("-p %1 -k %2 -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                            "-c full_page_writes=off -c max_connections=50")
                 .arg(port)
                 .arg(m_dir);
    if (!run(m_bin + QStringLiteral("/pg_ctl"),
             {QStringLiteral("-D"), data, QStringLiteral("-o"), m_opts, QStringLiteral("-l"),
              m_dir + QStringLiteral("/server.log"), QStringLiteral("-w"), QStringLiteral("-t"), QStringLiteral("60"),
              QStringLiteral("start")},
             &out)) {
        m_whyNot = QStringLiteral("pg_ctl start failed: ") + out.right(400);
        return;
    }
    m_port = port;
}

bool PgCluster::stop()
{
    return m_port && run(m_bin + QStringLiteral("/pg_ctl"),
                         {QStringLiteral("-D"), m_dir + QStringLiteral("/data"), QStringLiteral("-m"),
                          QStringLiteral("fast"), QStringLiteral("-w"), QStringLiteral("stop")});
}

bool PgCluster::start()
{
    return m_port && run(m_bin + QStringLiteral("/pg_ctl"),
                         {QStringLiteral("-D"), m_dir + QStringLiteral("/data"), QStringLiteral("-o"), m_opts,
                          QStringLiteral("-l"), m_dir + QStringLiteral("/server.log"), QStringLiteral("-w"),
                          QStringLiteral("-t"), QStringLiteral("60"), QStringLiteral("start")});
}

PgCluster::~PgCluster()
{
    if (m_port)
        run(m_bin + QStringLiteral("/pg_ctl"),
            {QStringLiteral("-D"), m_dir + QStringLiteral("/data"), QStringLiteral("-m"), QStringLiteral("immediate"),
             QStringLiteral("stop")});
    if (!m_dir.isEmpty())
        QDir(m_dir).removeRecursively();
}

QString PgCluster::createDatabase()
{
    if (!m_port)
        return {};
    const QString name = QStringLiteral("crawldeck_test_%1_%2").arg(::getpid()).arg(++m_dbs);
    const QString conn = QStringLiteral("pg-admin-") + name;
    {
        QSqlDatabase admin = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), conn);
        admin.setHostName(QStringLiteral("127.0.0.1"));
        admin.setPort(m_port);
        admin.setUserName(QStringLiteral("crawldeck"));
        admin.setDatabaseName(QStringLiteral("postgres"));
        if (admin.open())
            QSqlQuery(admin).exec(QStringLiteral("CREATE DATABASE ") + name);
    }
    QSqlDatabase::removeDatabase(conn);
    return QStringLiteral("postgresql://crawldeck@127.0.0.1:%1/%2").arg(m_port).arg(name);
}

} // namespace cdtest
