package be.uzleuven.fhir.discharge.hapi;

import ca.uhn.fhir.jpa.term.api.ITermReadSvc;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Pre-expands stored ValueSets every 2 s instead of HAPI's every 10 minutes.
 *
 * <p>HAPI answers {@code ValueSet/$validate-code} from a ValueSet's pre-expansion in its terminology
 * tables; until a scheduled task has made it (every 10 minutes by default) it validates in memory,
 * where SNOMED CT is not available, and answers {@code result=false} with an error message. A
 * terminology deployment loads its ValueSets once and waits; the tests load ours with a SNOMED CT
 * fragment and ask at once, so this server runs the same HAPI service call on a 2-second timer
 * (HAPI's own task still runs too; the call is synchronized in HAPI).
 */
public class ValueSetPreExpander {

	private static final Logger ourLog = LoggerFactory.getLogger(ValueSetPreExpander.class);

	@Autowired
	private ITermReadSvc myTermReadSvc;

	private final ScheduledExecutorService myTimer = Executors.newSingleThreadScheduledExecutor(r -> {
		Thread thread = new Thread(r, "valueset-pre-expander");
		thread.setDaemon(true);
		return thread;
	});

	@PostConstruct
	public void start() {
		myTimer.scheduleWithFixedDelay(this::preExpand, 2, 2, TimeUnit.SECONDS);
	}

	@PreDestroy
	public void stop() {
		myTimer.shutdownNow();
	}

	private void preExpand() {
		try {
			myTermReadSvc.preExpandDeferredValueSetsToTerminologyTables();
		} catch (RuntimeException e) {
			// A ValueSet that cannot be expanded stays FAILED_TO_EXPAND (HAPI records why); the
			// timer keeps running for the others.
			ourLog.warn("ValueSet pre-expansion failed: {}", e.toString());
		}
	}
}
