package dev.schemagate.test;

import java.util.List;

import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.io.support.SpringFactoriesLoader;
import org.springframework.core.io.support.SpringFactoriesLoader.FailureHandler;

/**
 * Analyses a start failure as Spring Boot does: with every failure analyzer the class path
 * registers, in their order, the first that explains it.
 */
public final class FailureAnalyses {

	private FailureAnalyses() {
	}

	/**
	 * Returns the analysis Spring Boot would report.
	 * @param failure the start failure
	 * @return the first analysis, {@code null} when no analyzer explains it
	 */
	public static FailureAnalysis analyze(Throwable failure) {
		// analyzers that need the application's bean factory or environment are left out:
		// none of them explains a failure of the gate
		List<FailureAnalyzer> analyzers = SpringFactoriesLoader
			.forDefaultResourceLocation(FailureAnalyses.class.getClassLoader())
			.load(FailureAnalyzer.class, null, FailureHandler.handleMessage((message, ex) -> {
			}));
		for (FailureAnalyzer analyzer : analyzers) {
			FailureAnalysis analysis = analyzer.analyze(failure);
			if (analysis != null) {
				return analysis;
			}
		}
		return null;
	}

}
