// The listening report's page: HTML, CSS and script in one file, the rows
// embedded as JSON. No network: nothing is fetched but the pictures and the
// audio beside it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace drumsynth {

std::string report_page(const nlohmann::json& summary, const nlohmann::json& rows);

}  // namespace drumsynth
