#pragma once

#include "model/job.h"

#include <QString>

namespace cd::ui {

// What a row says about a job beyond its state: what it is (from its params) and what it found (from
// the worker's [SUMMARY]: domains_generated, pages, pages_done, max_pages, errors). -1 = not known.
struct JobFacts
{
    QString what; // "solar, photovoltaic · example.com · crawler"
    int found = -1;
    int wanted = -1;
    int pages = -1;
    int maxPages = -1;
    int errors = -1;
    // A completed job that found fewer domains than asked ("partial") or logged errors ("with errors").
    QString badge;
    QString badgeWhy;

    static JobFacts of(const model::Job &job);
    QString foundText() const;
    QString pagesText() const;
};

} // namespace cd::ui
