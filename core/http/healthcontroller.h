#pragma once

#include "services.h"

#include <QElapsedTimer>
#include <QObject>

namespace cd::http {

class Router;

class HealthController : public QObject
{
    Q_OBJECT
public:
    HealthController(Services services, QString version, QObject *parent = nullptr);
    void registerRoutes(Router &router);

private:
    QByteArray metrics() const;

    Services m_s;
    QString m_version;
    QElapsedTimer m_uptime;
};

} // namespace cd::http
