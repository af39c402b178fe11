package be.uzleuven.fhir.discharge.hapi;

import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.binstore.DatabaseBinaryContentStorageSvcImpl;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect;
import ca.uhn.fhir.jpa.provider.IJpaSystemProvider;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.TerminologyUploaderProvider;
import ca.uhn.fhir.jpa.provider.ValueSetOperationProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.interceptor.LoggingInterceptor;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import com.zaxxer.hikari.HikariDataSource;
import jakarta.persistence.EntityManagerFactory;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

/**
 * The JPA server: HAPI's own R4 JPA configuration (DAOs, resource providers, transaction
 * processor, validation support chain, batch jobs) plus the few beans an application has to
 * supply (database, entity manager, storage settings, the REST servlet).
 *
 * <p>What clients of this server rely on, all HAPI defaults left on: referential integrity on
 * write (a reference to a resource the server does not hold is refused), conditional
 * create/update, transactions, $validate (HL7 validator engine, with our profiles), $document.
 */
@Configuration
@Import({
	JpaR4Config.class,
	HapiJpaConfig.class,
	JpaBatch2Config.class,
	Batch2JobsConfig.class,
	// In-process message channels (batch jobs need a broker; no subscriptions are offered).
	SubscriptionChannelConfig.class,
	ThreadPoolFactoryConfig.class
})
public class HapiServerConfig {

	/** H2 in memory: every start is an empty server; stopping the process forgets everything. */
	@Bean(destroyMethod = "close")
	public DataSource dataSource() {
		HikariDataSource ds = new HikariDataSource();
		ds.setDriverClassName("org.h2.Driver");
		ds.setJdbcUrl("jdbc:h2:mem:hapi;DB_CLOSE_DELAY=-1");
		ds.setUsername("sa");
		ds.setPassword("");
		ds.setMaximumPoolSize(10);
		return ds;
	}

	@Bean
	public JpaStorageSettings jpaStorageSettings() {
		JpaStorageSettings settings = new JpaStorageSettings();
		// HAPI's defaults, spelled out because clients depend on them (HAPI-1094 & co.).
		settings.setEnforceReferentialIntegrityOnWrite(true);
		settings.setEnforceReferentialIntegrityOnDelete(true);
		settings.setAutoCreatePlaceholderReferenceTargets(false);
		settings.setAllowExternalReferences(false);
		settings.setResourceClientIdStrategy(JpaStorageSettings.ClientIdStrategyEnum.ALPHANUMERIC);
		// The Lucene index serves the terminology tables only (see entityManagerFactory).
		settings.setHibernateSearchIndexFullText(false);
		settings.setHibernateSearchIndexSearchParams(false);
		return settings;
	}

	@Bean
	public PartitionSettings partitionSettings() {
		return new PartitionSettings();
	}

	@Bean
	public SubscriptionSettings subscriptionSettings() {
		return new SubscriptionSettings();
	}

	@Bean
	public DatabaseBinaryContentStorageSvcImpl binaryStorageSvc() {
		return new DatabaseBinaryContentStorageSvcImpl();
	}

	@Primary
	@Bean
	public LocalContainerEntityManagerFactoryBean entityManagerFactory(
			ConfigurableListableBeanFactory beanFactory,
			FhirContext fhirContext,
			JpaStorageSettings storageSettings,
			DataSource dataSource) {
		LocalContainerEntityManagerFactoryBean emf =
				HapiEntityManagerFactoryUtil.newEntityManagerFactory(beanFactory, fhirContext, storageSettings);
		emf.setPersistenceUnitName("HAPI_PU");
		emf.setDataSource(dataSource);
		Map<String, Object> props = new HashMap<>();
		props.put("hibernate.dialect", HapiFhirH2Dialect.class.getName());
		props.put("hibernate.hbm2ddl.auto", "update");
		props.put("hibernate.archive.scanner", "org.hibernate.boot.archive.scan.internal.DisabledScanner");
		props.put(
				"hibernate.physical_naming_strategy",
				"org.hibernate.boot.model.naming.CamelCaseToUnderscoresNamingStrategy");
		props.put(
				"hibernate.implicit_naming_strategy",
				"org.springframework.boot.orm.jpa.hibernate.SpringImplicitNamingStrategy");
		props.put("hibernate.format_sql", "false");
		props.put("hibernate.show_sql", "false");
		props.put("hibernate.jdbc.batch_size", "20");
		props.put("hibernate.cache.use_query_cache", "false");
		props.put("hibernate.cache.use_second_level_cache", "false");
		props.put("hibernate.cache.use_structured_entries", "false");
		props.put("hibernate.cache.use_minimal_puts", "false");
		// Hibernate Search on a Lucene index in memory: HAPI's terminology service needs it to
		// expand ValueSets with filters (is-a) and for CodeSystem/$subsumes; without it those
		// fail with HSEARCH800001. Resources themselves are not full-text indexed (below).
		props.put("hibernate.search.enabled", "true");
		props.put("hibernate.search.backend.type", "lucene");
		props.put("hibernate.search.backend.directory.type", "local-heap");
		props.put("hibernate.search.backend.lucene_version", "LUCENE_CURRENT");
		props.put(
				"hibernate.search.backend.analysis.configurer",
				"ca.uhn.fhir.jpa.search.HapiHSearchAnalysisConfigurers$HapiLuceneAnalysisConfigurer");
		emf.setJpaPropertyMap(props);
		return emf;
	}

	@Primary
	@Bean
	public JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
		JpaTransactionManager tm = new JpaTransactionManager();
		tm.setEntityManagerFactory(entityManagerFactory);
		return tm;
	}

	/**
	 * Our StructureDefinitions, ValueSets and CodeSystems (and those of the FHIR packages they depend
	 * on, when given), at the head of HAPI's validation chain.
	 */
	@Bean
	public ConformanceResources conformanceResources(
			FhirContext fhirContext,
			IValidationSupport validationSupportChain,
			@Value("${fhirdischarge.conformance-dir:}") String conformanceDir,
			@Value("${fhirdischarge.fhir-packages:}") String fhirPackages) {
		ConformanceResources resources = ConformanceResources.load(fhirContext, conformanceDir, fhirPackages);
		// HAPI's JPA chain (JpaValidationSupportChain) is a ValidationSupportChain: the validator
		// of $validate resolves profiles, ValueSets and CodeSystems through it.
		((ValidationSupportChain) validationSupportChain).addValidationSupport(0, resources.validationSupport());
		return resources;
	}

	@Bean
	public LoggingInterceptor accessLog() {
		LoggingInterceptor log = new LoggingInterceptor();
		log.setLoggerName("hapi.access");
		log.setMessageFormat(
				"${requestVerb} ${requestUrl}${requestParameters} ${processingTimeMillis}ms");
		log.setErrorMessageFormat("${requestVerb} ${requestUrl}${requestParameters} failed: ${exceptionMessage}");
		log.setLogExceptions(true);
		return log;
	}

	@Bean
	public RestfulServer restfulServer(
			IFhirSystemDao<?, ?> systemDao,
			ResourceProviderFactory resourceProviderFactory,
			IJpaSystemProvider systemProvider,
			ValueSetOperationProvider valueSetOperationProvider,
			JpaStorageSettings storageSettings,
			ISearchParamRegistry searchParamRegistry,
			IValidationSupport validationSupport,
			DatabaseBackedPagingProvider pagingProvider,
			LoggingInterceptor accessLog,
			ConformanceResources conformanceResources,
			TerminologyUploaderProvider terminologyUploaderProvider) {
		RestfulServer server = new RestfulServer(systemDao.getContext());
		server.registerProviders(resourceProviderFactory.createProviders());
		server.registerProvider(systemProvider); // transaction/batch, history, $meta ...
		server.registerProvider(valueSetOperationProvider); // $expand, $validate-code
		// $upload-external-code-system: HAPI keeps SNOMED CT out of its terminology tables unless
		// it comes this way (RF2 files); the terminology-server tests load a small fragment.
		server.registerProvider(terminologyUploaderProvider);
		JpaCapabilityStatementProvider capabilities = new JpaCapabilityStatementProvider(
				server, systemDao, storageSettings, searchParamRegistry, validationSupport);
		capabilities.setImplementationDescription("HAPI FHIR R4 test server (fhir-discharge)");
		server.setServerConformanceProvider(capabilities);
		server.setPagingProvider(pagingProvider);
		server.setDefaultResponseEncoding(EncodingEnum.JSON);
		server.registerInterceptor(accessLog);
		return server;
	}

	@Bean
	public ReadinessFilter readinessFilter() {
		return new ReadinessFilter();
	}

	@Bean
	public ServletRegistrationBean<RestfulServer> fhirServlet(RestfulServer restfulServer) {
		ServletRegistrationBean<RestfulServer> registration = new ServletRegistrationBean<>(restfulServer, "/fhir/*");
		registration.setName("fhir");
		registration.setLoadOnStartup(1);
		return registration;
	}

	@Bean
	public ValueSetPreExpander valueSetPreExpander() {
		return new ValueSetPreExpander();
	}

	@Bean
	public StartupLoader startupLoader() {
		return new StartupLoader();
	}
}
