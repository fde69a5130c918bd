#pragma once

#include "services.h"

#include <QObject>

namespace cd::http {

class Router;
struct Request;
class Reply;

// The seed-compatible routes under /api/crawler: a worker or script written for the seed's FastAPI
// backend works unchanged.
class CrawlerController : public QObject
{
    Q_OBJECT
public:
    CrawlerController(Services services, QObject *parent = nullptr);
    void registerRoutes(Router &router);

private:
    void start(const Request &req, Reply &&reply);
    void log(const Request &req, Reply &&reply);
    void stream(const Request &req, Reply &&reply);
    void status(const Request &req, Reply &&reply);
    void cancel(const Request &req, Reply &&reply);

    Services m_s;
};

} // namespace cd::http
