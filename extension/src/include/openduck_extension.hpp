//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// openduck_extension.hpp
//
//===----------------------------------------------------------------------===//

#pragma once

#include "duckdb.hpp"

namespace openduck {

class OpenDuckExtension : public duckdb::Extension {
public:
	void Load(duckdb::ExtensionLoader &loader) override;
	std::string Name() override;
	std::string Version() const override;
};

} // namespace openduck
