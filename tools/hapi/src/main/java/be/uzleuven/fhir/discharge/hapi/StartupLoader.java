package be.uzleuven.fhir.discharge.hapi;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import java.lang.management.ManagementFactory;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;

/**
 * After start-up: stores our Questionnaire/PlanDefinition/ActivityDefinition (PUT by id, so a
 * restart against the same database would not duplicate them), then opens the server.
 */
public class StartupLoader implements ApplicationRunner {

	private static final Logger ourLog = LoggerFactory.getLogger(StartupLoader.class);

	@Autowired
	private DaoRegistry myDaoRegistry;

	@Autowired
	private FhirContext myFhirContext;

	@Autowired
	private ConformanceResources myConformanceResources;

	@Autowired
	private ReadinessFilter myReadiness;

	@Value("${server.address:127.0.0.1}")
	private String myAddress;

	@Value("${server.port:8081}")
	private int myPort;

	@Override
	public void run(ApplicationArguments args) {
		for (IBaseResource resource : myConformanceResources.toStore()) {
			String type = myFhirContext.getResourceType(resource);
			myDaoRegistry.getResourceDao(type).update(resource, new SystemRequestDetails());
		}
		myReadiness.setReady();
		long uptime = ManagementFactory.getRuntimeMXBean().getUptime();
		ourLog.info(
				"HAPI FHIR {} test server ready at http://{}:{}/fhir ({} profiles/ValueSets/CodeSystems in the"
						+ " validator, {} definitions stored) after {} ms",
				ca.uhn.fhir.util.VersionUtil.getVersion(),
				myAddress,
				myPort,
				myConformanceResources.validationCount(),
				myConformanceResources.toStore().size(),
				uptime);
	}
}
